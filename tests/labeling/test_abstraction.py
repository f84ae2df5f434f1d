import gymnasium as gym
import minigrid  # noqa: F401
import numpy as np
import pytest

from teduo_gym.envs import MissingKnowledgeError, UnknownEnvironmentError, knowledge_for
from teduo_gym.envs.babyai.abstraction import (
    GOAL_SLOTS,
    NO_COLOR,
    OBSTACLE,
    WAY,
    BabyAIAbstraction,
    abstract_states,
    choice_of_goal,
    refs_of,
)
from teduo_gym.envs.babyai.goals import ObjectRef
from teduo_gym.envs.babyai.state import split_states, state_layout, symbolic_state
from teduo_gym.labeling import abstract, choose, state_views
from tests.datasets.conftest import LINE_ENV


def test_choice_is_applied_cell_by_cell(babyai_data):
    data, _ = babyai_data
    a = knowledge_for(data.env_id).goal_schema(data.state_layout)
    raw_grids, _, _ = split_states(data.states, a.layout)
    out = a.abstract(data.states, choice_of_goal("go to the red ball"))
    grids, poses, _ = split_states(out, a.layout)
    red_ball = (raw_grids[..., 0] == 6) & (raw_grids[..., 1] == 0)
    assert red_ball.any()
    assert (grids[red_ball][:, :2] == [6, 0]).all()  # the goal object keeps type and colour
    other = (raw_grids[..., 0] >= 5) & ~red_ball  # keys, balls, boxes that are not the red ball
    assert (grids[other] == [OBSTACLE, NO_COLOR, 0]).all()
    assert (poses == split_states(data.states, a.layout)[1]).all()


def test_abstraction_reduces_distinct_states(babyai_data):
    data, _ = babyai_data
    a = knowledge_for(data.env_id).goal_schema(data.state_layout)
    for goal in ("go to the red ball", "open the blue door"):
        views = abstract(a, data.states, choice_of_goal(goal))
        assert len(views.vectors) <= views.n_raw and len(set(views.texts)) < 0.7 * views.n_raw, goal
        assert len(views.texts) == len(views.vectors) and len(views.ids) == len(data.states)
        assert (views.vectors[views.ids] == a.abstract(data.states, choice_of_goal(goal))).all()
    # states that differ only in a distractor merge into one abstract state
    states = np.repeat(data.states[:1], 2, axis=0)
    cells = split_states(states, a.layout)[0]
    x, y = np.argwhere(cells[0, ..., 0] == 1)[0]
    cells[0, x, y], cells[1, x, y] = (7, 2, 0), (5, 4, 0)  # a blue box here, a yellow key there
    assert len(abstract(a, states, choice_of_goal("go to the red ball")).vectors) == 1


def test_doors_lose_colour_and_far_rooms_are_dropped():
    env = gym.make("BabyAI-GoToObjMaze-v0")
    env.reset(seed=3)
    layout = state_layout(env)
    raw = symbolic_state(env)[None]
    out = abstract_states(raw, layout, [ObjectRef("ball")], room_only=False)
    grids, _, _ = split_states(out, layout)
    doors = grids[0][grids[0][..., 0] == 4]
    assert len(doors) and (doors[:, 1] == NO_COLOR).all()
    kept = abstract_states(raw, layout, [ObjectRef("ball")], room_only=True)
    kept_grid = split_states(kept, layout)[0][0]
    x, y = env.unwrapped.agent_pos
    assert kept_grid[x, y, 0] != 0 and 0 < (kept_grid[..., 0] != 0).sum() < layout.width * layout.height / 4
    text = BabyAIAbstraction(layout).describe(kept, choice_of_goal("go to a ball"))[0]
    assert text.startswith("You carry nothing.\nIn front of you:")


def test_a_goal_object_in_another_room_is_reached_through_the_door_on_its_way():
    env = gym.make("BabyAI-Synth-v0")
    env.reset(seed=3)  # the agent at (1, 6) facing up in the top-left room; the only red ball at (10, 15)
    a = BabyAIAbstraction(state_layout(env))
    raw = symbolic_state(env)[None]
    choice = choice_of_goal("go to the red ball")
    grid = split_states(a.abstract(raw, choice), a.layout)[0][0]
    way = np.argwhere(grid[..., 2] >= WAY)
    assert way.tolist() == [[1, 7]] and grid[1, 7, 0] == 4  # one door, the one below the agent
    assert "red ball: in another room, through a closed door 1 back." in a.describe(a.abstract(raw, choice), choice)[0]
    # carrying the object of a put, the way leads to the target; an object in the room needs no way
    unwrapped = env.unwrapped
    here = choice_of_goal("put the red box next to the red ball")  # the red box lies in the agent's room
    assert (split_states(a.abstract(raw, here), a.layout)[0][0][..., 2] >= WAY).sum() == 0
    carrying = raw.copy()
    carrying[0, -3:] = (7, 0, 0)  # a red box carried
    assert (split_states(a.abstract(carrying, here), a.layout)[0][0][..., 2] >= WAY).sum() == 1
    assert unwrapped.grid.get(1, 2).type == "box"
    # without room_only nothing is marked: every room is kept
    full = split_states(abstract_states(raw, a.layout, refs_of(choice), room_only=False), a.layout)[0][0]
    assert (full[..., 2] < WAY).all()


def test_text_names_goal_objects_relative_to_the_agent():
    env = gym.make("BabyAI-GoToLocal-v0")
    env.reset(seed=0)
    a = BabyAIAbstraction(state_layout(env))
    choice = choice_of_goal("go to the green key")
    text = a.describe(a.abstract(symbolic_state(env)[None], choice), choice)[0]
    assert "the green key: 2 forward, 1 right" in text and "grey" not in text


def test_the_embedded_llm_chooses_the_goal_features(embedded_backend):
    goals = ["go to the red ball", "pick up a key", "open the blue door", "pick up the yellow ball"]
    assert choose(embedded_backend, goals, GOAL_SLOTS) == [choice_of_goal(g) for g in goals]
    assert refs_of(choice_of_goal("put a key next to the blue ball"))[1] == ObjectRef("ball", "blue")


def test_the_goal_schema_comes_from_the_knowledge_or_a_clear_error():
    with pytest.raises(UnknownEnvironmentError, match="no teduo-gym knowledge for 'Craftax-v9'"):
        knowledge_for("Craftax-v9")
    with pytest.raises(ValueError, match="inconsistent"):
        knowledge_for("BabyAI-GoToLocal-v0").goal_schema(
            {"kind": "babyai-symbolic/1", "width": 8, "height": 8, "size": 10}
        )
    with pytest.raises(MissingKnowledgeError, match="has no 'goal_schema'"):
        knowledge_for(LINE_ENV).goal_schema({"kind": "line", "size": 1})


def test_without_a_goal_schema_the_views_are_the_stored_texts(line_data):
    from teduo_gym.datasets import load_dataset

    data = load_dataset(line_data)
    views = state_views(None, data, data.dst, {})
    assert len(views.vectors) == len(set(data.states[data.dst, 0].tolist())) == views.n_raw
    assert [views.texts[i] for i in views.ids] == [data.texts[i] for i in data.dst]
