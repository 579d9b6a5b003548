//! One name table per enum: `named_enum!` declares an enum with the spec's
//! name of each variant (and any aliases accepted on input), and derives
//! from that one list `as_str`, `FromStr`, `ALL`, `Display`, serde's
//! `Serialize`/`Deserialize` and, with the `cli` feature, clap's `ValueEnum`.
//! No other place spells a variant's name.

/// The error of parsing a name that is not one of an enum's variants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownName {
    /// What kind of value was expected (`rounding mode`).
    pub what: &'static str,
    /// The names accepted.
    pub expected: &'static [&'static str],
    /// The text given.
    pub given: String,
}

impl std::fmt::Display for UnknownName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "unknown {} `{}` (want ", self.what, self.given)?;
        for (i, name) in self.expected.iter().enumerate() {
            match i {
                0 => {}
                _ if i.saturating_add(1) == self.expected.len() => f.write_str(" or ")?,
                _ => f.write_str(", ")?,
            }
            write!(f, "`{name}`")?;
        }
        f.write_str(")")
    }
}

impl std::error::Error for UnknownName {}

/// Declares a public enum whose variants have spec names. Each variant is
/// `Variant => "name"` optionally followed by `| "alias"` entries, which
/// `FromStr` and `Deserialize` also accept.
macro_rules! named_enum {
    (
        $(#[$meta:meta])*
        $what:literal
        pub enum $name:ident {
            $(
                $(#[$vmeta:meta])*
                $variant:ident => $text:literal $(| $alias:literal)*,
            )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $name {
            /// Every variant, in declaration order.
            // Crate-private enums use it only for clap's `ValueEnum`, so a
            // build without the `cli` feature (the Node addon, the Python
            // package, the fuzz crate) would warn.
            #[allow(dead_code)]
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];
            /// Every variant's name, in declaration order.
            pub const NAMES: &'static [&'static str] = &[$($text,)+];

            /// The spec's name of the variant.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::names::UnknownName;

            /// The variant named `text` exactly (names are case-sensitive),
            /// or by one of its aliases.
            fn from_str(text: &str) -> Result<Self, Self::Err> {
                match text {
                    $($text $(| $alias)* => Ok($name::$variant),)+
                    _ => Err($crate::names::UnknownName {
                        what: $what,
                        expected: Self::NAMES,
                        given: text.to_owned(),
                    }),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }

        impl $crate::output::JsonValue for $name {
            fn write_json(&self, out: &mut Vec<u8>) {
                // The name quoted, as one constant: names need no escaping.
                out.extend_from_slice(match self {
                    $($name::$variant => concat!("\"", $text, "\"").as_bytes(),)+
                });
            }
        }

        impl $crate::output::fields::FieldValue for $name {
            fn walk<S: $crate::output::fields::FieldSink>(&self, sink: &mut S) {
                // The variant's place in NAMES: declaration order.
                sink.one_of(*self as usize, self.as_str());
            }
            fn kind() -> $crate::output::fields::Kind {
                $crate::output::fields::Kind::OneOf(Self::NAMES)
            }
        }

        #[cfg(feature = "cli")]
        impl clap::ValueEnum for $name {
            fn value_variants<'a>() -> &'a [Self] {
                Self::ALL
            }

            fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
                let value = clap::builder::PossibleValue::new(self.as_str());
                Some(match self {
                    $($name::$variant => value $(.alias($alias))*,)+
                })
            }
        }
    };
}

pub(crate) use named_enum;
