"""RaptorBus: 22 tests the runbook counts on Monday (task 1.7) and after the migrations."""

import pytest

from app.raptor_bus import RaptorBus, topic_matches


@pytest.fixture
def bus():
    return RaptorBus()


def collect(bus, pattern):
    seen = []
    bus.subscribe(pattern, seen.append)
    return seen


def test_publish_reaches_exact_subscriber(bus):
    seen = collect(bus, "move.created")
    bus.publish("move.created", {"id": 1})
    assert [e.payload for e in seen] == [{"id": 1}]


def test_other_topics_are_not_delivered(bus):
    seen = collect(bus, "move.created")
    bus.publish("move.deleted")
    assert seen == []


def test_star_matches_one_segment(bus):
    seen = collect(bus, "move.*")
    bus.publish("move.created")
    bus.publish("move.updated")
    bus.publish("move.asset.added")
    assert [e.topic for e in seen] == ["move.created", "move.updated"]


def test_hash_matches_the_rest(bus):
    seen = collect(bus, "campaign.#")
    bus.publish("campaign.created")
    bus.publish("campaign.metrics.daily")
    assert len(seen) == 2


def test_hash_only_at_the_end():
    with pytest.raises(ValueError):
        RaptorBus().subscribe("#.created", print)


def test_empty_segment_is_invalid(bus):
    with pytest.raises(ValueError):
        bus.subscribe("move..created", print)


def test_cannot_publish_a_pattern(bus):
    with pytest.raises(ValueError):
        bus.publish("move.*")


def test_handlers_run_in_subscription_order(bus):
    order = []
    bus.subscribe("cohort.created", lambda e: order.append("first"))
    bus.subscribe("cohort.created", lambda e: order.append("second"))
    bus.publish("cohort.created")
    assert order == ["first", "second"]


def test_sequence_numbers_increase(bus):
    seen = collect(bus, "#")
    bus.publish("a")
    bus.publish("b")
    assert [e.sequence for e in seen] == [1, 2]


def test_unsubscribe_stops_delivery(bus):
    seen = []
    sub = bus.subscribe("asset.created", seen.append)
    assert bus.unsubscribe(sub)
    bus.publish("asset.created")
    assert seen == []


def test_unsubscribe_unknown_id(bus):
    assert bus.unsubscribe(999) is False


def test_failing_handler_does_not_stop_others(bus):
    def broken(event):
        raise RuntimeError("boom")

    seen = []
    bus.subscribe("move.created", broken, name="broken")
    bus.subscribe("move.created", seen.append)
    delivery = bus.publish("move.created")
    assert len(seen) == 1
    assert delivery.delivered == 1
    assert delivery.errors[0][0] == "broken"


def test_delivery_counts_handlers(bus):
    collect(bus, "move.created")
    collect(bus, "move.*")
    assert bus.publish("move.created").delivered == 2


def test_payload_is_copied(bus):
    payload = {"n": 1}
    seen = collect(bus, "x")
    bus.publish("x", payload)
    payload["n"] = 2
    assert seen[0].payload == {"n": 1}


def test_missing_payload_is_empty_dict(bus):
    seen = collect(bus, "x")
    bus.publish("x")
    assert seen[0].payload == {}


def test_history_keeps_events(bus):
    bus.publish("a")
    bus.publish("b")
    assert [e.topic for e in bus.history] == ["a", "b"]


def test_history_is_bounded(bus):
    bus.history_limit = 3
    for n in range(5):
        bus.publish(f"t{n}")
    assert [e.topic for e in bus.history] == ["t2", "t3", "t4"]


def test_replay_delivers_matching_history(bus):
    bus.publish("move.created")
    bus.publish("campaign.created")
    seen = []
    assert bus.replay("move.*", seen.append) == 1
    assert seen[0].topic == "move.created"


def test_subscribers_lists_names(bus):
    def audit(event):
        pass

    bus.subscribe("move.#", audit)
    assert bus.subscribers("move.created") == ["audit"]


def test_subscriber_added_during_publish_waits_for_next_event(bus):
    late = []
    bus.subscribe("x", lambda e: bus.subscribe("x", late.append))
    bus.publish("x")
    assert late == []
    bus.publish("x")
    assert len(late) == 1


@pytest.mark.parametrize(
    "pattern, topic, expected",
    [("a.b", "a.b", True), ("a.*", "a", False)],
)
def test_topic_matches(pattern, topic, expected):
    assert topic_matches(pattern, topic) is expected
