//! Texts of a template that people read (stage names, proposal and report sections,
//! checklist items, custom vote names), per language: English, which every text has, and
//! Simplified Chinese where the template gives it. A viewer sees their language, else
//! English.
//!
//! In JSON a text is either a plain string (English only: how templates were written
//! before, so stored templates keep loading) or an object `{"en": "...", "zh-CN": "..."}`.
//! An English-only text is written back as a plain string.

use std::fmt;

use serde::de::{self, MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A text in English and, optionally, Simplified Chinese.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Text {
    pub en: String,
    /// `None` (or empty) falls back to English.
    pub zh_cn: Option<String>,
}

impl Text {
    /// English and Chinese.
    pub fn new(en: &str, zh_cn: &str) -> Text {
        Text {
            en: en.to_owned(),
            zh_cn: (!zh_cn.is_empty()).then(|| zh_cn.to_owned()),
        }
    }

    /// The text in `lang` (a language tag: `zh-CN`, `zh`, `en`), else in English.
    pub fn get(&self, lang: &str) -> &str {
        let chinese = lang.eq_ignore_ascii_case("zh-CN")
            || lang.eq_ignore_ascii_case("zh")
            || lang.to_ascii_lowercase().starts_with("zh-hans");
        match &self.zh_cn {
            Some(zh) if chinese && !zh.trim().is_empty() => zh,
            _ => &self.en,
        }
    }

    /// The English text, which every text has.
    pub fn en(&self) -> &str {
        &self.en
    }

    /// Whether the English text is empty (then there is no text).
    pub fn is_empty(&self) -> bool {
        self.en.is_empty()
    }

    /// Every language's text, English first.
    pub fn all(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.en.as_str()).chain(self.zh_cn.as_deref())
    }
}

impl From<&str> for Text {
    fn from(en: &str) -> Text {
        Text {
            en: en.to_owned(),
            zh_cn: None,
        }
    }
}

impl From<String> for Text {
    fn from(en: String) -> Text {
        Text { en, zh_cn: None }
    }
}

impl Serialize for Text {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.zh_cn.as_deref().filter(|z| !z.is_empty()) {
            None => s.serialize_str(&self.en),
            Some(zh) => {
                let mut m = s.serialize_map(Some(2))?;
                m.serialize_entry("en", &self.en)?;
                m.serialize_entry("zh-CN", zh)?;
                m.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Text, D::Error> {
        struct TextVisitor;
        impl<'de> Visitor<'de> for TextVisitor {
            type Value = Text;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string, or an object with \"en\" and optionally \"zh-CN\"")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Text, E> {
                Ok(Text::from(v))
            }

            fn visit_string<E: de::Error>(self, v: String) -> Result<Text, E> {
                Ok(Text::from(v))
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Text, A::Error> {
                let mut en = None;
                let mut zh_cn = None;
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "en" => en = Some(map.next_value::<String>()?),
                        "zh-CN" => zh_cn = Some(map.next_value::<String>()?),
                        other => {
                            return Err(de::Error::unknown_field(other, &["en", "zh-CN"]));
                        }
                    }
                }
                Ok(Text {
                    en: en.ok_or_else(|| de::Error::missing_field("en"))?,
                    zh_cn: zh_cn.filter(|z| !z.is_empty()),
                })
            }
        }
        d.deserialize_any(TextVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_reads_from_a_string_or_per_language() {
        let plain: Text = serde_json::from_str("\"Current\"").unwrap();
        assert_eq!(plain, Text::from("Current"));
        assert_eq!(plain.get("zh-CN"), "Current", "English is the fallback");
        assert_eq!(serde_json::to_string(&plain).unwrap(), "\"Current\"");
        let both: Text = serde_json::from_str(r#"{"en": "Retired", "zh-CN": "已退役"}"#).unwrap();
        assert_eq!(both, Text::new("Retired", "已退役"));
        assert_eq!(both.get("zh-CN"), "已退役");
        assert_eq!(both.get("zh"), "已退役");
        assert_eq!(both.get("en"), "Retired");
        assert_eq!(both.get("fr"), "Retired");
        let back: Text = serde_json::from_str(&serde_json::to_string(&both).unwrap()).unwrap();
        assert_eq!(back, both);
        // An empty Chinese text is none.
        let empty: Text = serde_json::from_str(r#"{"en": "A", "zh-CN": ""}"#).unwrap();
        assert_eq!(empty, Text::from("A"));
        assert_eq!(serde_json::to_string(&empty).unwrap(), "\"A\"");
        for bad in [r#"{"zh-CN": "只有中文"}"#, r#"{"en": "A", "fr": "B"}"#, "3"] {
            assert!(serde_json::from_str::<Text>(bad).is_err(), "{bad}");
        }
    }
}
