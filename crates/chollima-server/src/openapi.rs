//! The OpenAPI 3 document of the whole API, from the handlers' own annotations.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::api;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "chollima plan office",
        description = "The plan broken down to enterprises and work teams, reports of actual output, fulfilment, alerts, emulation."
    ),
    paths(
        api::health,
        api::openapi,
        api::login,
        api::create_user,
        api::load_plan,
        api::set_organisation,
        api::active_plan,
        api::quotas,
        api::report,
        api::bulk_reports,
        api::close_period,
        api::replan,
        api::fulfilment_of,
        api::ranking,
        api::titles,
        api::alerts,
        api::acknowledge,
        api::audit_log,
    ),
    modifiers(&BearerAuth)
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The document served at `GET /api/openapi.json`.
pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}
