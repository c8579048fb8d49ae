//! The build script: the migrations are embedded in the binary (`embed_migrations!` in `db`), and a
//! macro cannot tell cargo which files it read, so without this a new or edited migration is not
//! compiled in until some source file changes too (as diesel_migrations' documentation advises).

fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
