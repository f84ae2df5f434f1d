"""Fine-tuning on free-text WebShop actions (FinetuneConfig(free_text=True)) gives an agent that acts on the server."""

from pathlib import Path

from teduo_gym.finetune import ActionExample, FinetuneConfig, finetune, read_examples, write_examples
from teduo_gym.llm import TransformersBackend
from teduo_gym.recipes.webshop import ACT_TEMPLATE, WebShopLLMAgent, webshop


def test_finetuned_agent_acts_on_the_server(env, tmp_path: Path) -> None:
    examples = [
        ActionExample("i need a red mug", "WebShop | Search", "search[red mug]"),
        ActionExample("i need a red mug", "Back to Search | Page 1 | B01 | Red Mug", "click[b01]"),
        ActionExample("i need a red mug", "Back to Search | < Prev | Red Mug | Buy Now", "click[buy now]"),
    ]
    data = write_examples(tmp_path / "examples.jsonl", examples)
    assert read_examples(data) == examples  # any action string is allowed without an env's action words
    out = finetune(FinetuneConfig(data, tmp_path / "agent", free_text=True, max_steps=1, batch_size=3, max_length=64,
                                  template=ACT_TEMPLATE, progress=False))  # fmt: skip
    agent = WebShopLLMAgent(TransformersBackend(out), ACT_TEMPLATE, max_chars=120)
    obs, _ = env.reset(options={"goal_index": 0})
    assert agent.act(obs).startswith("search[")
    obs, *_ = env.step(agent.act(obs))
    action = agent.act(obs)
    assert action.startswith("click[") and action[len("click[") : -1] in webshop().clickables(obs)
