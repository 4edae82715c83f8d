//! API route registration with the OpenAPI description deferred.
//!
//! `utoipa_axum::routes!` builds a route's whole OpenAPI operation (parameters, bodies,
//! responses, every schema it references) when the router is built, so every server paid
//! for the API document at start-up, in time and in resident code, whether or not anyone
//! asked for it. [`api_route!`] registers the same handlers from the same `#[utoipa::path]`
//! attributes — the path and methods, which are cheap — and keeps a function that runs
//! `routes!` for them when the document is first asked for. Router and document still
//! come from one list, so they cannot drift.

use axum::Router;
use axum::handler::Handler;
use axum::routing::MethodRouter;
use utoipa::openapi::path::HttpMethod;
use utoipa_axum::PathItemExt;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouter};

use crate::state::AppState;

/// Describes some routes: `utoipa_axum::routes!` over their handlers.
pub type Describe = fn() -> UtoipaMethodRouter<AppState>;

/// The handlers registered by one [`api_route!`]: one path (or several when the handlers'
/// attributes name several), their methods, and how to describe them.
pub struct ApiRoute {
    paths: Vec<(String, MethodRouter<AppState>)>,
    describe: Describe,
}

impl ApiRoute {
    pub fn new(describe: Describe) -> Self {
        ApiRoute {
            paths: Vec::new(),
            describe,
        }
    }

    /// Adds `handler` at `path` for `methods` (from its `#[utoipa::path]`).
    pub fn handler<H, T>(mut self, path: String, methods: Vec<HttpMethod>, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        let path = if path.is_empty() {
            "/".to_owned()
        } else {
            path
        };
        let at = match self.paths.iter().position(|(p, _)| *p == path) {
            Some(at) => at,
            None => {
                self.paths.push((path, MethodRouter::new()));
                self.paths.len() - 1
            }
        };
        let (_, router) = &mut self.paths[at];
        for method in methods {
            *router = std::mem::replace(router, MethodRouter::new())
                .on(method.to_method_filter(), handler.clone());
        }
        self
    }
}

/// Registers handlers annotated with `#[utoipa::path]` (in scope by name) as one
/// [`ApiRoute`]: `.routes(api_route!(get_thing, delete_thing))`.
#[macro_export]
macro_rules! api_route {
    ($($handler:ident),+ $(,)?) => {
        $crate::api::route::ApiRoute::new(|| ::utoipa_axum::routes!($($handler),+))
            $(
                .handler(
                    ::utoipa_axum::paste! {
                        <[<__path_ $handler>] as ::utoipa::Path>::path()
                    },
                    ::utoipa_axum::paste! {
                        <[<__path_ $handler>] as ::utoipa::Path>::methods()
                    },
                    $handler,
                )
            )+
    };
}

/// API routes being assembled: the axum router and, for the document, how to describe
/// each documented route.
#[derive(Default)]
pub struct ApiRoutes {
    router: Router<AppState>,
    described: Vec<Describe>,
}

impl ApiRoutes {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds documented handlers (see [`api_route!`]).
    pub fn routes(mut self, route: ApiRoute) -> Self {
        for (path, method_router) in route.paths {
            self.router = self.router.route(&path, method_router);
        }
        self.described.push(route.describe);
        self
    }

    /// Adds a route the document does not list (alternative spellings of a documented
    /// path, such as a trailing slash or a deeper wildcard).
    pub fn route(mut self, path: &str, method_router: MethodRouter<AppState>) -> Self {
        self.router = self.router.route(path, method_router);
        self
    }

    pub fn merge(mut self, other: ApiRoutes) -> Self {
        self.router = self.router.merge(other.router);
        self.described.extend(other.described);
        self
    }

    /// The routes, for serving.
    pub fn into_router(self) -> Router<AppState> {
        self.router
    }

    /// The OpenAPI document of the documented routes, on top of `base`.
    pub fn document(&self, base: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
        self.described
            .iter()
            .fold(
                OpenApiRouter::<AppState>::with_openapi(base),
                |doc, describe| doc.routes(describe()),
            )
            .into_openapi()
    }
}
