//! Checks on free-form account fields.

/// Why a field was refused; `message_key` names the catalog message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FieldError {
    #[error("required")]
    Required,
    #[error("too long")]
    TooLong { max: usize },
    #[error("not a valid email address")]
    InvalidEmail,
    #[error("password too short")]
    PasswordTooShort { min: usize },
    #[error("password too long")]
    PasswordTooLong { max: usize },
    #[error("unsupported language")]
    UnknownLanguage,
}

impl FieldError {
    pub fn message_key(&self) -> &'static str {
        match self {
            FieldError::Required => "error.field.required",
            FieldError::TooLong { .. } => "error.field.too_long",
            FieldError::InvalidEmail => "error.field.invalid_email",
            FieldError::PasswordTooShort { .. } => "error.password.too_short",
            FieldError::PasswordTooLong { .. } => "error.password.too_long",
            FieldError::UnknownLanguage => "error.field.unknown_language",
        }
    }
}

pub const PASSWORD_MIN_CHARS: usize = 8;
/// Hashing cost grows with input; a bound keeps a sign-in request from being a CPU weapon.
pub const PASSWORD_MAX_BYTES: usize = 1024;
pub const EMAIL_MAX: usize = 254;
pub const DISPLAY_NAME_MAX: usize = 100;
pub const DESCRIPTION_MAX: usize = 1000;
/// The site-wide announcement banner, in characters.
pub const ANNOUNCEMENT_MAX: usize = 500;

/// Interface languages a person can choose.
pub const LANGUAGES: &[&str] = &["en", "zh-CN"];

pub fn email(input: &str) -> Result<String, FieldError> {
    let s = input.trim();
    if s.is_empty() {
        return Err(FieldError::Required);
    }
    if s.len() > EMAIL_MAX {
        return Err(FieldError::TooLong { max: EMAIL_MAX });
    }
    let Some((local, domain)) = s.split_once('@') else {
        return Err(FieldError::InvalidEmail);
    };
    let ok = !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !s
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>');
    if ok {
        Ok(s.to_owned())
    } else {
        Err(FieldError::InvalidEmail)
    }
}

pub fn password(input: &str) -> Result<(), FieldError> {
    if input.len() > PASSWORD_MAX_BYTES {
        return Err(FieldError::PasswordTooLong {
            max: PASSWORD_MAX_BYTES,
        });
    }
    if input.chars().count() < PASSWORD_MIN_CHARS {
        return Err(FieldError::PasswordTooShort {
            min: PASSWORD_MIN_CHARS,
        });
    }
    Ok(())
}

/// Optional text such as a display name or description: trimmed, bounded, control
/// characters other than newlines refused by stripping.
pub fn text(input: &str, max: usize) -> Result<String, FieldError> {
    let s: String = input
        .trim()
        .chars()
        .filter(|c| !c.is_control() || *c == '\n')
        .collect();
    if s.chars().count() > max {
        return Err(FieldError::TooLong { max });
    }
    Ok(s)
}

pub fn language(input: &str) -> Result<&'static str, FieldError> {
    LANGUAGES
        .iter()
        .find(|l| l.eq_ignore_ascii_case(input.trim()))
        .copied()
        .ok_or(FieldError::UnknownLanguage)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert_eq!(email(" a@b.cn "), Ok("a@b.cn".into()));
        for bad in [
            "", "a", "a@b", "@b.cn", "a@@b.cn", "a b@c.cn", "a@.cn", "a@b.", "<a@b.cn>",
        ] {
            assert!(email(bad).is_err(), "{bad}");
        }
        assert_eq!(
            email(&format!("{}@b.cn", "a".repeat(260))),
            Err(FieldError::TooLong { max: 254 })
        );
    }

    #[test]
    fn passwords() {
        assert!(password("correct horse").is_ok());
        assert!(password("密码密码密码密码").is_ok());
        assert_eq!(
            password("short"),
            Err(FieldError::PasswordTooShort { min: 8 })
        );
        assert!(matches!(
            password(&"x".repeat(2000)),
            Err(FieldError::PasswordTooLong { .. })
        ));
    }

    #[test]
    fn texts_and_languages() {
        assert_eq!(text("  Li Wei\u{7} ", 10), Ok("Li Wei".into()));
        assert!(text(&"x".repeat(11), 10).is_err());
        assert_eq!(language("zh-cn"), Ok("zh-CN"));
        assert_eq!(language("fr"), Err(FieldError::UnknownLanguage));
    }
}
