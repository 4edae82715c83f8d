//! `POST /language`: the language switch. Signed-in people get it saved to their
//! settings; visitors get a cookie.

use crate::cookies;
use crate::ctx::{Ctx, LANG_COOKIE};
use crate::error::{WebError, WebResult};
use crate::form::Form;
use crate::i18n::Lang;
use crate::state::AppState;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct LanguageForm {
    lang: String,
    #[serde(default)]
    next: String,
}

pub async fn switch(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(form): Form<LanguageForm>,
) -> WebResult<Response> {
    let lang =
        Lang::from_tag(&form.lang).ok_or(WebError::BadRequest("error.field.unknown_language"))?;
    if let Some(user) = &ctx.user {
        state
            .store
            .update_user_profile(user.id, &user.display_name, &user.email, Some(lang.tag()))
            .await?;
    }
    let next = crate::pages::auth::safe_next(Some(&form.next));
    let mut response = Redirect::to(&next).into_response();
    let year = 365 * 24 * 3600;
    response.headers_mut().append(
        header::SET_COOKIE,
        cookies::set(
            LANG_COOKIE,
            lang.tag(),
            Some(year),
            state.cfg.secure_cookies(),
        ),
    );
    Ok(response)
}
