//! The create-session request as it arrives: plain structs with public
//! fields (build them in code) and a JSON parser that borrows its strings
//! from the input and names the offending field of every refusal.

mod parse;

use crate::error::Error;
use crate::names::named_enum;
use std::borrow::Cow;

/// The documented limits on a request (see the README's "Limits").
pub mod limits {
    /// Largest JSON request body, in bytes.
    pub const MAX_REQUEST_BYTES: usize = 1 << 20;
    /// Most line items in one session (as payment platforms allow).
    pub const MAX_LINE_ITEMS: usize = 100;
    /// Longest `price_id` or `product_id`, in bytes.
    pub const MAX_ID_BYTES: usize = 255;
    /// Longest `client_reference_id`, in bytes.
    pub const MAX_REFERENCE_BYTES: usize = 200;
    /// Longest line `description`, in bytes.
    pub const MAX_DESCRIPTION_BYTES: usize = 1000;
    /// Longest `customer_email`, in bytes (RFC 5321's path limit).
    pub const MAX_EMAIL_BYTES: usize = 254;
    /// Longest `success_url` or `cancel_url`, in bytes.
    pub const MAX_URL_BYTES: usize = 2048;
    /// Smallest and largest `quantity`.
    pub const QUANTITY: std::ops::RangeInclusive<i64> = 1..=999_999;
}

named_enum! {
    /// The session's mode. Names are case-sensitive (`Payment` is refused).
    #[derive(Default)]
    #[non_exhaustive]
    "mode"
    pub enum Mode {
        /// One-time payment: one-time prices and ad hoc amounts.
        #[default]
        Payment => "payment",
        /// Subscription: recurring prices sharing one interval.
        Subscription => "subscription",
        /// Saves a payment method: no line items, no amounts.
        Setup => "setup",
    }
}

named_enum! {
    /// How the checkout page is shown. It does not change any amount.
    #[derive(Default)]
    #[non_exhaustive]
    "presentation"
    pub enum Presentation {
        /// Embedded in the merchant's page (the default).
        #[default]
        Iframe => "iframe",
        /// A hosted page reached by link.
        Link => "link",
    }
}

/// A create-session request.
///
/// Strings are `Cow` so that a request parsed from JSON borrows from the
/// input; build one in code with `"...".into()`:
///
/// ```
/// use checkout_tax::{LineItem, Mode, SessionRequest};
///
/// let request = SessionRequest {
///     buyer_country: Some("DE".into()),
///     ..SessionRequest::new(Mode::Payment, vec![LineItem::price("price_pro", 2)])
/// };
/// assert_eq!(request.line_items[0].quantity, Some(2));
///
/// let parsed = SessionRequest::from_json(
///     r#"{"mode": "payment", "line_items": [{"price_id": "price_pro", "quantity": 2}],
///         "buyer_country": "DE"}"#,
/// )?;
/// assert_eq!(parsed, request);
/// # Ok::<(), checkout_tax::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionRequest<'a> {
    /// Payment, subscription or setup.
    pub mode: Mode,
    /// Iframe (default) or link.
    pub presentation: Presentation,
    /// The lines; empty (or absent in JSON) only for setup.
    pub line_items: Vec<LineItem<'a>>,
    /// Must look like an address when present.
    pub customer_email: Option<Cow<'a, str>>,
    /// Absolute http(s) URL when present.
    pub success_url: Option<Cow<'a, str>>,
    /// Absolute http(s) URL when present.
    pub cancel_url: Option<Cow<'a, str>>,
    /// ISO 3166-1 alpha-2, any case.
    pub buyer_country: Option<Cow<'a, str>>,
    /// `CA` or `US-CA`, any case.
    pub buyer_region: Option<Cow<'a, str>>,
    /// Echoed back in the quote.
    pub client_reference_id: Option<Cow<'a, str>>,
    /// At most one coupon or promotion code, applied before tax. A list
    /// held inline when it has one entry (see [`Discounts`]): build it
    /// with `vec![...].into()` or [`Discounts::one`].
    pub discounts: Discounts<'a>,
}

/// A request's `discounts`: a list of [`Discount`]s that derefs to a slice.
/// The spec's array holds at most one, so none or one is held inline and
/// a request with one allocates nothing for it; more (a request built in
/// code, which the quote refuses with `invalid_discount`) go on the heap.
///
/// ```
/// use checkout_tax::{Discount, Discounts};
///
/// let one = Discounts::one(Discount::coupon("co_summer"));
/// assert_eq!(one.len(), 1);
/// assert_eq!(one, [Discount::coupon("co_summer")]);
/// assert_eq!(one, Discounts::from(vec![Discount::coupon("co_summer")]));
/// assert!(Discounts::default().is_empty());
/// ```
#[derive(Clone, Default)]
pub struct Discounts<'a>(DiscountList<'a>);

/// None or one entry inline; two or more (never fewer) on the heap.
#[derive(Clone)]
enum DiscountList<'a> {
    Inline(Option<Discount<'a>>),
    Heap(Vec<Discount<'a>>),
}

impl Default for DiscountList<'_> {
    fn default() -> Self {
        DiscountList::Inline(None)
    }
}

impl<'a> Discounts<'a> {
    /// A list of one discount.
    pub fn one(discount: Discount<'a>) -> Self {
        Discounts(DiscountList::Inline(Some(discount)))
    }

    /// The entries.
    pub fn as_slice(&self) -> &[Discount<'a>] {
        match &self.0 {
            DiscountList::Inline(one) => one.as_slice(),
            DiscountList::Heap(many) => many,
        }
    }

    /// The entries, to change in place.
    pub fn as_mut_slice(&mut self) -> &mut [Discount<'a>] {
        match &mut self.0 {
            DiscountList::Inline(one) => one.as_mut_slice(),
            DiscountList::Heap(many) => many,
        }
    }

    /// The same list with owned strings.
    pub fn into_owned(self) -> Discounts<'static> {
        Discounts(match self.0 {
            DiscountList::Inline(one) => DiscountList::Inline(one.map(Discount::into_owned)),
            DiscountList::Heap(many) => {
                DiscountList::Heap(many.into_iter().map(Discount::into_owned).collect())
            }
        })
    }
}

impl<'a> std::ops::Deref for Discounts<'a> {
    type Target = [Discount<'a>];

    fn deref(&self) -> &Self::Target {
        self.as_slice()
    }
}

impl std::ops::DerefMut for Discounts<'_> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        self.as_mut_slice()
    }
}

impl<'a> From<Vec<Discount<'a>>> for Discounts<'a> {
    fn from(mut list: Vec<Discount<'a>>) -> Self {
        Discounts(if list.len() > 1 {
            DiscountList::Heap(list)
        } else {
            DiscountList::Inline(list.pop())
        })
    }
}

impl<'a> FromIterator<Discount<'a>> for Discounts<'a> {
    fn from_iter<I: IntoIterator<Item = Discount<'a>>>(iter: I) -> Self {
        let mut iter = iter.into_iter();
        let Some(first) = iter.next() else {
            return Discounts::default();
        };
        match iter.next() {
            None => Discounts::one(first),
            Some(second) => {
                let mut many = vec![first, second];
                many.extend(iter);
                Discounts(DiscountList::Heap(many))
            }
        }
    }
}

impl<'a> IntoIterator for Discounts<'a> {
    type Item = Discount<'a>;
    type IntoIter =
        std::iter::Chain<std::option::IntoIter<Discount<'a>>, std::vec::IntoIter<Discount<'a>>>;

    fn into_iter(self) -> Self::IntoIter {
        match self.0 {
            DiscountList::Inline(one) => one.into_iter().chain(Vec::new()),
            DiscountList::Heap(many) => None.into_iter().chain(many),
        }
    }
}

impl<'s, 'a> IntoIterator for &'s Discounts<'a> {
    type Item = &'s Discount<'a>;
    type IntoIter = std::slice::Iter<'s, Discount<'a>>;

    fn into_iter(self) -> Self::IntoIter {
        self.as_slice().iter()
    }
}

impl std::fmt::Debug for Discounts<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.as_slice()).finish()
    }
}

impl PartialEq for Discounts<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Eq for Discounts<'_> {}

impl<'a> PartialEq<[Discount<'a>]> for Discounts<'a> {
    fn eq(&self, other: &[Discount<'a>]) -> bool {
        self.as_slice() == other
    }
}

impl<'a, const N: usize> PartialEq<[Discount<'a>; N]> for Discounts<'a> {
    fn eq(&self, other: &[Discount<'a>; N]) -> bool {
        self.as_slice() == other
    }
}

impl<'a> PartialEq<Vec<Discount<'a>>> for Discounts<'a> {
    fn eq(&self, other: &Vec<Discount<'a>>) -> bool {
        self.as_slice() == other.as_slice()
    }
}

/// A discount the request redeems: exactly one of a coupon id or a
/// promotion code (matched case-insensitively).
///
/// ```
/// use checkout_tax::{Discount, SessionRequest};
///
/// let parsed = SessionRequest::from_json(
///     r#"{"mode": "payment", "line_items": [{"price_id": "price_pro", "quantity": 1}],
///         "discounts": [{"promotion_code": "SUMMER"}]}"#,
/// )?;
/// assert_eq!(parsed.discounts, [Discount::promotion_code("SUMMER")]);
/// # Ok::<(), checkout_tax::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Discount<'a> {
    /// A catalog coupon's id.
    pub coupon: Option<Cow<'a, str>>,
    /// A catalog promotion code.
    pub promotion_code: Option<Cow<'a, str>>,
}

impl<'a> Discount<'a> {
    /// Redeems the coupon with this id.
    pub fn coupon(id: impl Into<Cow<'a, str>>) -> Self {
        Discount {
            coupon: Some(id.into()),
            promotion_code: None,
        }
    }

    /// Redeems the coupon behind this promotion code.
    pub fn promotion_code(code: impl Into<Cow<'a, str>>) -> Self {
        Discount {
            coupon: None,
            promotion_code: Some(code.into()),
        }
    }

    /// The same discount with owned strings.
    pub fn into_owned(self) -> Discount<'static> {
        Discount {
            coupon: owned(self.coupon),
            promotion_code: owned(self.promotion_code),
        }
    }
}

/// One line of a request: exactly one of `price_id`, `product_id` or
/// `ad_hoc_amount`, and a quantity.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineItem<'a> {
    /// A catalog price.
    pub price_id: Option<Cow<'a, str>>,
    /// A catalog product; its default price is used.
    pub product_id: Option<Cow<'a, str>>,
    /// Required, 1 ..= 999 999.
    pub quantity: Option<i64>,
    /// An amount in the smallest currency unit (Direct merchants only).
    pub ad_hoc_amount: Option<i64>,
    /// ISO 4217 code, required with `ad_hoc_amount`.
    pub ad_hoc_currency: Option<Cow<'a, str>>,
    /// Shown at checkout.
    pub description: Option<Cow<'a, str>>,
}

impl<'a> SessionRequest<'a> {
    /// A request of `mode` with these lines and every optional field unset.
    pub fn new(mode: Mode, line_items: Vec<LineItem<'a>>) -> Self {
        SessionRequest {
            mode,
            line_items,
            ..SessionRequest::default()
        }
    }

    /// Parses the create-session JSON body, borrowing strings from `json`.
    ///
    /// # Errors
    /// `invalid_request` for malformed JSON or a value of the wrong JSON type,
    /// `unknown_field` for a field the spec does not define, `invalid_mode`,
    /// `invalid_discount` for a `discounts` array of the wrong shape,
    /// `invalid_presentation`, `invalid_quantity` or `invalid_amount` for a
    /// number that is not an integer, and `limit_exceeded` over a documented
    /// limit, each naming the offending field. The business rules are checked
    /// later, when the request is quoted.
    pub fn from_json(json: &'a str) -> Result<Self, Error> {
        parse::session_request(json)
    }

    /// As [`SessionRequest::from_json`], from bytes (an NDJSON line, an HTTP
    /// body): invalid UTF-8 is `invalid_request`.
    ///
    /// # Errors
    /// As [`SessionRequest::from_json`].
    pub fn from_json_bytes(json: &'a [u8]) -> Result<Self, Error> {
        parse::session_request_bytes(json)
    }

    /// The same request with owned strings, free of the input's lifetime.
    pub fn into_owned(self) -> SessionRequest<'static> {
        SessionRequest {
            mode: self.mode,
            presentation: self.presentation,
            line_items: self
                .line_items
                .into_iter()
                .map(LineItem::into_owned)
                .collect(),
            customer_email: owned(self.customer_email),
            success_url: owned(self.success_url),
            cancel_url: owned(self.cancel_url),
            buyer_country: owned(self.buyer_country),
            buyer_region: owned(self.buyer_region),
            client_reference_id: owned(self.client_reference_id),
            discounts: self.discounts.into_owned(),
        }
    }
}

/// A request from any serde data format (a web framework's JSON extractor),
/// through the same rules as [`SessionRequest::from_json`]; the typed error
/// (code and path) becomes the format's error message.
impl<'de> serde::Deserialize<'de> for SessionRequest<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        parse::deserialize(d)
    }
}

impl<'a> LineItem<'a> {
    /// A line for `quantity` of a catalog price.
    pub fn price(price_id: impl Into<Cow<'a, str>>, quantity: i64) -> Self {
        LineItem {
            price_id: Some(price_id.into()),
            quantity: Some(quantity),
            ..LineItem::default()
        }
    }

    /// A line for `quantity` of a catalog product at its default price.
    pub fn product(product_id: impl Into<Cow<'a, str>>, quantity: i64) -> Self {
        LineItem {
            product_id: Some(product_id.into()),
            quantity: Some(quantity),
            ..LineItem::default()
        }
    }

    /// A line for `quantity` of an ad hoc amount (Direct merchants only).
    pub fn ad_hoc(amount: i64, currency: impl Into<Cow<'a, str>>, quantity: i64) -> Self {
        LineItem {
            ad_hoc_amount: Some(amount),
            ad_hoc_currency: Some(currency.into()),
            quantity: Some(quantity),
            ..LineItem::default()
        }
    }

    /// The same line with owned strings.
    pub fn into_owned(self) -> LineItem<'static> {
        LineItem {
            price_id: owned(self.price_id),
            product_id: owned(self.product_id),
            quantity: self.quantity,
            ad_hoc_amount: self.ad_hoc_amount,
            ad_hoc_currency: owned(self.ad_hoc_currency),
            description: owned(self.description),
        }
    }
}

fn owned(s: Option<Cow<'_, str>>) -> Option<Cow<'static, str>> {
    s.map(|s| Cow::Owned(s.into_owned()))
}
