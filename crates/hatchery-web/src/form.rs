//! Form handling: an extractor whose rejections become proper error pages, a collection
//! of per-field errors, and the markup for a labelled field that shows its error and keeps
//! what was typed.

use crate::ctx::Ctx;
use crate::error::WebError;
use axum::extract::rejection::FormRejection;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use hatchery_core::NameError;
use hatchery_core::validate::FieldError;
use maud::{Markup, html};
use serde::de::DeserializeOwned;

/// `axum::Form`, with rejections mapped to [`WebError`].
pub struct Form<T>(pub T);

impl<T, S> FromRequest<S> for Form<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = WebError;

    async fn from_request(req: Request, state: &S) -> Result<Self, WebError> {
        match axum::Form::<T>::from_request(req, state).await {
            Ok(axum::Form(v)) => Ok(Form(v)),
            Err(FormRejection::BytesRejection(r))
                if r.status() == StatusCode::PAYLOAD_TOO_LARGE =>
            {
                Err(WebError::PayloadTooLarge)
            }
            Err(e) => {
                tracing::debug!(error = %e, "malformed form");
                Err(WebError::BadRequest("error.400.form"))
            }
        }
    }
}

/// Forms whose inputs repeat (checkboxes, rows of people) are read as `(name, value)`
/// pairs: every value of `key`, in order.
pub fn values<'a>(pairs: &'a [(String, String)], key: &'a str) -> impl Iterator<Item = &'a str> {
    pairs
        .iter()
        .filter(move |(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// The first value of `key`, or `""`.
pub fn value<'a>(pairs: &'a [(String, String)], key: &str) -> &'a str {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map_or("", |(_, v)| v.as_str())
}

/// Every non-empty value of `key` as an id; 400 when one is not a number.
pub fn ids(pairs: &[(String, String)], key: &str) -> Result<Vec<i64>, WebError> {
    values(pairs, key)
        .filter(|v| !v.is_empty())
        .map(|v| {
            v.parse()
                .map_err(|_| WebError::BadRequest("error.400.form"))
        })
        .collect()
}

/// One refused field: its name, the catalog key of the message, and the message's arguments.
#[derive(Debug, Clone)]
struct FieldProblem {
    field: &'static str,
    key: &'static str,
    args: Vec<(&'static str, String)>,
}

/// Errors of one submitted form.
#[derive(Debug, Default, Clone)]
pub struct FormErrors(Vec<FieldProblem>);

impl FormErrors {
    pub fn add(&mut self, field: &'static str, key: &'static str) {
        self.0.push(FieldProblem {
            field,
            key,
            args: Vec::new(),
        });
    }

    pub fn add_with(
        &mut self,
        field: &'static str,
        key: &'static str,
        args: Vec<(&'static str, String)>,
    ) {
        self.0.push(FieldProblem { field, key, args });
    }

    /// Records a refused free-form field.
    pub fn field(&mut self, field: &'static str, e: &FieldError) {
        match e {
            FieldError::TooLong { max } => {
                self.add_with(field, e.message_key(), vec![("max", max.to_string())])
            }
            FieldError::PasswordTooShort { min } => {
                self.add_with(field, e.message_key(), vec![("min", min.to_string())])
            }
            _ => self.add(field, e.message_key()),
        }
    }

    /// Records a refused name.
    pub fn name(&mut self, field: &'static str, e: &NameError) {
        match e {
            NameError::TooLong { max } => {
                self.add_with(field, e.message_key(), vec![("max", max.to_string())])
            }
            _ => self.add(field, e.message_key()),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The message for `field`, in the visitor's language.
    pub fn message(&self, ctx: &Ctx, field: &str) -> Option<String> {
        self.0.iter().find(|p| p.field == field).map(|p| {
            let args: Vec<(&str, &str)> = p.args.iter().map(|(k, v)| (*k, v.as_str())).collect();
            ctx.tf(p.key, &args)
        })
    }
}

/// What kind of input a field is.
#[derive(Clone, Copy)]
pub enum Input<'a> {
    Text,
    Email,
    Password,
    TextArea,
    Select(&'a [(&'a str, &'a str)]),
    /// A checkbox, checked when `value` is "on".
    Checkbox,
}

pub struct Field<'a> {
    pub name: &'static str,
    pub label: &'a str,
    pub value: &'a str,
    pub input: Input<'a>,
    pub hint: Option<&'a str>,
    pub required: bool,
    pub autocomplete: Option<&'static str>,
}

impl<'a> Field<'a> {
    pub fn new(name: &'static str, label: &'a str, value: &'a str) -> Field<'a> {
        Field {
            name,
            label,
            value,
            input: Input::Text,
            hint: None,
            required: false,
            autocomplete: None,
        }
    }
    pub fn input(mut self, input: Input<'a>) -> Self {
        self.input = input;
        self
    }
    pub fn hint(mut self, hint: &'a str) -> Self {
        self.hint = Some(hint);
        self
    }
    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }
    pub fn autocomplete(mut self, ac: &'static str) -> Self {
        self.autocomplete = Some(ac);
        self
    }

    pub fn render(&self, ctx: &Ctx, errors: &FormErrors) -> Markup {
        let error = errors.message(ctx, self.name);
        let id = format!("f-{}", self.name);
        let err_id = format!("{id}-error");
        if let Input::Checkbox = self.input {
            return html! {
                div.field.checkbox.has-error[error.is_some()] {
                    label for=(id) {
                        input id=(id) type="checkbox" name=(self.name) value="on" checked[self.value == "on"];
                        " " (self.label)
                    }
                    @if let Some(e) = &error { div.error role="alert" { (e) } }
                    @if let Some(h) = self.hint { div.hint { (h) } }
                }
            };
        }
        html! {
            div.field.has-error[error.is_some()] {
                label for=(id) { (self.label) }
                @match self.input {
                    Input::TextArea => {
                        textarea id=(id) name=(self.name) required[self.required]
                            aria-invalid=[error.as_ref().map(|_| "true")] aria-describedby=[error.as_ref().map(|_| &err_id)] { (self.value) }
                    }
                    Input::Select(options) => {
                        select id=(id) name=(self.name) {
                            @for (value, label) in options {
                                option value=(value) selected[*value == self.value] { (label) }
                            }
                        }
                    }
                    Input::Checkbox => {}
                    other => {
                        @let kind = match other { Input::Email => "email", Input::Password => "password", _ => "text" };
                        // Passwords are never echoed back into the page.
                        @let value = if matches!(other, Input::Password) { "" } else { self.value };
                        input id=(id) type=(kind) name=(self.name) value=(value) required[self.required]
                            autocomplete=[self.autocomplete]
                            aria-invalid=[error.as_ref().map(|_| "true")] aria-describedby=[error.as_ref().map(|_| &err_id)];
                    }
                }
                @if let Some(e) = &error { div.error id=(err_id) role="alert" { (e) } }
                @if let Some(h) = self.hint { div.hint { (h) } }
            }
        }
    }
}

/// The hidden CSRF input every POST form carries.
pub fn csrf_input(ctx: &Ctx) -> Markup {
    html! { input type="hidden" name=(crate::csrf::FIELD) value=(ctx.csrf); }
}
