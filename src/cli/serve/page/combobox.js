// An accessible combobox (the WAI-ARIA 1.2 "list autocomplete" pattern): a
// text input that filters a list of options as the person types; arrow keys
// move through the list, Enter picks, Escape closes. Used for the country,
// region, catalog item and jurisdiction pickers.

let serial = 0;

/** Lower-cases and strips accents so "quebec" finds "Québec". */
export function fold(text) {
  return String(text)
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase();
}

/** True when every word of `query` occurs in one of the option's texts. */
function matches(option, words) {
  const hay = fold([option.value, option.label, option.detail ?? "", ...(option.keywords ?? [])].join(" "));
  return words.every((w) => hay.includes(w));
}

/**
 * Wires a combobox onto `input` (an `<input>` with a `<label>` already).
 * - `options()`: the current options, `{value, label, detail?, keywords?}`;
 * - `onPick(option)`: called when an option is chosen;
 * - `onFree(text)`: optional, called on Enter or blur with text that is no
 *   option (lets a person type a raw code); without it the text is restored;
 * - `display()`: the text to show when the input is not being edited.
 * Returns `{refresh()}` to re-show `display()`.
 */
export function combobox(input, { options, onPick, onFree, display, limit = 60 }) {
  const id = `combo-${++serial}`;
  const list = document.createElement("ul");
  list.id = `${id}-list`;
  list.className = "combo-list";
  list.setAttribute("role", "listbox");
  list.hidden = true;
  const labelId = input.labels?.[0]?.id;
  if (labelId) list.setAttribute("aria-labelledby", labelId);
  input.after(list);
  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-expanded", "false");
  input.setAttribute("aria-controls", list.id);
  input.autocomplete = "off";
  input.spellcheck = false;

  let shown = [];
  let active = -1;
  let editing = false;

  function close() {
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
  }

  function setActive(i) {
    active = i;
    for (const [n, li] of [...list.children].entries()) {
      li.classList.toggle("active", n === i);
      li.setAttribute("aria-selected", String(n === i));
    }
    const li = list.children[i];
    if (li && li.id) {
      input.setAttribute("aria-activedescendant", li.id);
      li.scrollIntoView({ block: "nearest" });
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  }

  function open() {
    const words = fold(input.value).split(/\s+/).filter(Boolean);
    const all = options();
    // When the input shows the current choice, list everything.
    const query = editing ? words : [];
    shown = all.filter((o) => matches(o, query)).slice(0, limit);
    list.replaceChildren(
      ...shown.map((o, n) => {
        const li = document.createElement("li");
        li.id = `${id}-opt-${n}`;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        li.dataset.value = o.value;
        const main = document.createElement("span");
        main.className = "opt-label";
        main.textContent = o.label;
        li.append(main);
        if (o.detail) {
          const d = document.createElement("span");
          d.className = "opt-detail";
          d.textContent = o.detail;
          li.append(d);
        }
        li.addEventListener("mousedown", (e) => e.preventDefault());
        li.addEventListener("click", () => pick(o));
        return li;
      }),
    );
    if (shown.length === 0) {
      const li = document.createElement("li");
      li.className = "combo-empty";
      li.textContent = "No match";
      list.append(li);
    }
    list.hidden = false;
    input.setAttribute("aria-expanded", "true");
    setActive(shown.length > 0 && editing && words.length > 0 ? 0 : -1);
  }

  function pick(option) {
    editing = false;
    close();
    onPick(option);
    input.value = display ? display() : option.label;
  }

  function commitText() {
    const text = input.value.trim();
    if (!editing) return;
    editing = false;
    const exact = options().find(
      (o) => fold(o.value) === fold(text) || fold(o.label) === fold(text),
    );
    if (exact) {
      onPick(exact);
    } else if (onFree) {
      onFree(text);
    }
    input.value = display ? display() : text;
  }

  input.addEventListener("input", () => {
    editing = true;
    open();
  });
  input.addEventListener("keydown", (e) => {
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      if (list.hidden) open();
      const n = shown.length;
      if (n === 0) return;
      const step = e.key === "ArrowDown" ? 1 : -1;
      setActive(active < 0 ? (step > 0 ? 0 : n - 1) : (active + step + n) % n);
    } else if (e.key === "Enter") {
      if (!list.hidden && active >= 0 && shown[active]) {
        e.preventDefault();
        pick(shown[active]);
      } else if (editing) {
        e.preventDefault();
        close();
        commitText();
      }
    } else if (e.key === "Escape") {
      if (!list.hidden) {
        e.preventDefault();
        close();
      }
      editing = false;
      input.value = display ? display() : "";
    }
  });
  input.addEventListener("blur", () => {
    close();
    commitText();
  });
  input.addEventListener("click", () => {
    if (list.hidden) open();
  });

  return {
    refresh() {
      if (!editing) input.value = display ? display() : input.value;
    },
  };
}
