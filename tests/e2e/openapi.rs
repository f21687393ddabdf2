//! The OpenAPI document covers every route, and every route is in the authorization
//! matrix: a route missing from either fails here.

use serde_json::Value;

use crate::authorization::MATRIX;
use crate::helpers::{Backend, TestApp};

/// Whether a concrete request path (`/api/v1/penalties/1?x`) fits a documented template
/// (`/api/v1/penalties/{id}`).
fn fits(template: &str, path: &str) -> bool {
    let path = path.split('?').next().unwrap_or(path);
    let t: Vec<&str> = template.split('/').collect();
    let p: Vec<&str> = path.split('/').collect();
    t.len() == p.len()
        && t.iter()
            .zip(&p)
            .all(|(t, p)| t == p || (t.starts_with('{') && t.ends_with('}') && !p.is_empty()))
}

fn collect_refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                if k == "$ref"
                    && let Some(r) = v.as_str()
                {
                    out.push(r.to_owned());
                }
                collect_refs(v, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|i| collect_refs(i, out)),
        _ => {}
    }
}

async fn the_document_covers_every_route(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (status, doc) = app.get_json("/api-docs/openapi.json").await;
    assert_eq!(status, 200);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    let mut documented: Vec<(String, String)> = Vec::new();
    for (template, item) in paths {
        for (method, op) in item.as_object().unwrap() {
            documented.push((method.to_uppercase(), template.clone()));
            assert!(
                op["summary"].is_string(),
                "{method} {template} has no summary"
            );
            assert!(op["tags"].is_array(), "{method} {template} has no tag");
            // A path parameter is one the template names; everything else is in the query.
            for p in op["parameters"].as_array().into_iter().flatten() {
                let name = p["name"].as_str().unwrap_or("");
                if p["in"] == "path" {
                    assert!(
                        template.contains(&format!("{{{name}}}")),
                        "{method} {template}: {name} is declared in the path but is not in it"
                    );
                }
            }
            // OpenAPI 3.1 has no tuple `items` (an array of schemas).
            let text = op.to_string();
            assert!(
                !text.contains("\"items\":["),
                "{method} {template} uses tuple items"
            );
            if template.starts_with("/api/v1/") && template != "/api/v1/auth/logout" {
                let responses = op["responses"].as_object().unwrap();
                assert!(
                    responses.keys().any(|s| s.starts_with('4')),
                    "{method} {template} documents no error response"
                );
            }
        }
    }
    let mut failures = Vec::new();
    for (method, path, _, _) in MATRIX {
        let path = path.replace("{uscc}", "91350100M000100Y43");
        if !documented
            .iter()
            .any(|(m, t)| m == method && fits(t, &path))
        {
            failures.push(format!("{method} {path} is served but not documented"));
        }
    }
    for (method, template) in &documented {
        let probe = template.replace("{uscc}", "91350100M000100Y43");
        if !MATRIX.iter().any(|(m, p, _, _)| {
            m == method && fits(&probe, &p.replace("{uscc}", "91350100M000100Y43"))
        }) {
            failures.push(format!(
                "{method} {template} is documented but missing from the authorization matrix"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    // Every reference resolves, and the problem document is described.
    let mut refs = Vec::new();
    collect_refs(&doc, &mut refs);
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for r in refs {
        let name = r.trim_start_matches("#/components/schemas/");
        assert!(schemas.contains_key(name), "{r} does not resolve");
    }
    assert!(schemas["Problem"]["properties"]["code"].is_object());
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());

    let r = app.get("/docs/").await;
    assert_eq!(r.status(), 200);
    assert!(
        r.text().await.unwrap().contains("swagger"),
        "Swagger UI is served"
    );
    app.finish().await;
}

crate::on_every_backend!(the_document_covers_every_route);
