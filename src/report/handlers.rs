pub fn routes(_c: &mut actix_web::web::ServiceConfig) {}
