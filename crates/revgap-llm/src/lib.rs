//! revgap-llm: asking an OpenAI-compatible model for narratives. Owns the client (streaming,
//! retries, secrets scrubbed from whatever comes back), the answer cache, the batch runner
//! with its token budget, and the use it records. Built on `revgap-core` (facts, prompts,
//! grounding); knows nothing of the ledger, the terminal or the command line.

pub mod batch;
pub mod cache;
pub mod client;
pub mod generate;
