//! README's "Embedding" example is `examples/embed.rs`: run here, and README must show it.

#[path = "../../examples/embed.rs"]
mod embed;

#[test]
fn embedding_example_runs() {
    embed::main().expect("the embedding example runs");
}

#[test]
fn readme_shows_the_embedding_example() {
    let readme = include_str!("../../../README.md");
    let example = include_str!("../../examples/embed.rs");
    // README shows the file from its first `use` on.
    let body = &example[example.find("use std::sync::Arc;").expect("a use line")..];
    assert!(
        readme.contains(body),
        "README's Embedding example differs from wasi-bind/examples/embed.rs; copy the file from its first `use` on"
    );
}
