"""Owner keys: stable, distinct per kind of caller, and never the secret itself."""

from genai_studio.owners import Owner


def test_keys_are_stable_distinct_and_hide_the_secret():
    token = "a" * 43
    kinds = [Owner.for_user(token), Owner.for_browser(token), Owner.for_session(token)]
    kinds.append(Owner.for_api_key(token))
    assert len({owner.key for owner in kinds}) == 4
    assert all(token not in owner.key and Owner.is_key(owner.key) for owner in kinds)
    assert Owner.for_browser(token) == Owner.for_browser(token)
    assert Owner.for_user("ann").label == "ann"
    assert Owner.for_user("ann\udcff").key != Owner.for_user("ann").key  # odd names still hash
    assert Owner.local().key == "local"
