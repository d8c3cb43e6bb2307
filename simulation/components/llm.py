"""llm_server and llm_api kinds. Interim declaration so design files that use them load;
the LLM serving model (simulation/llm/) replaces the runtime and the full parameter set."""

from simulation.params import Param
from simulation.registry import ComponentKind, register

register(ComponentKind(
    "llm_server", "models", "LLM server (self-hosted)", "A model served on GPUs by an inference engine.",
    (Param("model", "catalog", "meta-llama/Llama-3.1-8B", catalog="models", help="Hugging Face model id."),
     Param("gpu", "catalog", "h100-sxm", catalog="gpus", help="GPU type."),
     Param("tp", "int", 1, "GPUs", 1, 64, help="Tensor-parallel degree.")),
    runtime=None, icon="llm_server"))
register(ComponentKind(
    "llm_api", "models", "LLM API (hosted)", "A hosted model bought per token.",
    (Param("provider_model", "catalog", "openai/gpt-4o-mini", catalog="api_models", help="Hosted model id."),),
    runtime=None, icon="llm_api"))
