pub mod handlers; pub fn placeholder(){}
