//! The in-process MiniLM must reproduce the reference model's vectors (sentence-transformers
//! output for 24 Banking77 sentences, in tests/fixtures/minilm).

use std::path::PathBuf;

use shared::ai::embeddings::{Embedder, cosine, local::MiniLm};

fn repo(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(rel)
}

fn reference() -> Vec<(String, Vec<f32>)> {
    let text =
        std::fs::read_to_string(repo("tests/fixtures/minilm/reference.json")).expect("fixture");
    let doc: serde_json::Value = serde_json::from_str(&text).expect("fixture json");
    doc["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| {
            let v = i["embedding"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap() as f32)
                .collect();
            (i["text"].as_str().unwrap().to_owned(), v)
        })
        .collect()
}

fn model() -> MiniLm {
    let dir = repo("models/all-MiniLM-L6-v2");
    MiniLm::load(&dir, "all-MiniLM-L6-v2")
        .unwrap_or_else(|e| panic!("model files missing ({e}): run scripts/fetch-model.sh first"))
}

#[tokio::test]
async fn batch_vectors_match_the_reference_model() {
    let items = reference();
    assert_eq!(items.len(), 24);
    let model = model();
    let texts: Vec<String> = items.iter().map(|(t, _)| t.clone()).collect();
    let vectors = model.embed(&texts).await.expect("embedding");
    for ((text, expected), got) in items.iter().zip(&vectors) {
        assert_eq!(got.len(), 384);
        let cos = cosine(expected, got);
        let max_diff = expected
            .iter()
            .zip(got)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        assert!(cos >= 0.9999, "{text:?}: cosine {cos}");
        assert!(
            max_diff <= 2e-4,
            "{text:?}: max component difference {max_diff}"
        );
        let norm: f32 = got.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-4);
    }
}

#[test]
fn single_sentences_match_too() {
    let items = reference();
    let model = model();
    for (text, expected) in items.iter().take(4) {
        let got = model
            .embed_blocking(std::slice::from_ref(text))
            .expect("embedding")
            .remove(0);
        assert!(cosine(expected, &got) >= 0.9999, "{text:?}");
    }
}

#[test]
fn packed_batches_give_each_text_its_own_vector() {
    // Sequences are packed end to end; a vector must not depend on its neighbours, and a
    // text past the 256-token window is cut, not refused.
    let model = model();
    let long = "The export keeps timing out on our largest reports. ".repeat(60);
    let texts: Vec<String> = vec![
        "ok".into(),
        long,
        "Why was my card declined at the supermarket?".into(),
        String::new(),
        "I still have not received my new card".into(),
    ];
    let together = model.embed_blocking(&texts).expect("embedding");
    assert_eq!(together.len(), texts.len());
    for (text, packed) in texts.iter().zip(&together) {
        let alone = model
            .embed_blocking(std::slice::from_ref(text))
            .expect("embedding")
            .remove(0);
        assert!(cosine(packed, &alone) >= 0.99999, "{text:.40}");
    }
    assert!(cosine(&together[2], &together[4]) < 0.99);
}
