//! The shared validation error of the domain layer.
//!
//! Every parser in this crate (identifiers, money, …) reports a rejected value as a
//! [`FieldError`]: the name of the field, a stable machine-readable code and optional
//! parameters. The web layer maps `code` (+ `params`) to a localised message, so codes
//! and parameter keys are part of the API and must not be renamed casually.
//! Errors deliberately never carry the rejected value itself: a 12-digit INN or a
//! SNILS is personal data and must not end up in logs through an error message.

/// A rejected input value: which field, and a stable machine-readable code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {code}")]
pub struct FieldError {
    /// Name of the input field the value came from (e.g. `"inn"`).
    pub field: &'static str,
    /// Stable machine-readable code (e.g. `"invalid_inn"`, `"required"`).
    pub code: &'static str,
    /// Extra details for the UI, e.g. `("reason", "checksum")`.
    pub params: Vec<(&'static str, String)>,
}

impl FieldError {
    /// An error for `field` with `code` and no parameters.
    pub fn new(field: &'static str, code: &'static str) -> Self {
        Self {
            field,
            code,
            params: Vec::new(),
        }
    }

    /// Adds a parameter (builder style).
    pub fn with(mut self, k: &'static str, v: impl Into<String>) -> Self {
        self.params.push((k, v.into()));
        self
    }

    /// Re-targets the error to another field name, e.g. when the same parser checks
    /// both the buyer's and the seller's INN on one form.
    pub fn on(mut self, field: &'static str) -> Self {
        self.field = field;
        self
    }

    /// The value of the first parameter named `key`, if any.
    pub fn param(&self, key: &str) -> Option<&str> {
        self.params.iter().find(|(k, _)| *k == key).map(|(_, v)| v.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_is_field_and_code() {
        let e = FieldError::new("inn", "invalid_inn").with("reason", "checksum");
        assert_eq!(e.to_string(), "inn: invalid_inn");
        assert_eq!(e.param("reason"), Some("checksum"));
        assert_eq!(e.param("missing"), None);
    }

    #[test]
    fn on_retargets_field_and_keeps_the_rest() {
        let e = FieldError::new("inn", "invalid_inn")
            .with("reason", "length")
            .on("buyer_inn");
        assert_eq!(e.field, "buyer_inn");
        assert_eq!(e.code, "invalid_inn");
        assert_eq!(e.params, vec![("reason", "length".to_string())]);
    }
}
