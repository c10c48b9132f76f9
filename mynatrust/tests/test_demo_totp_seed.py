"""The demo staff's second-factor keys come from a random seed kept in var/, not from a pattern."""

from __future__ import annotations

import stat

from mynatrust.management.commands.demo_setup import demo_totp_key


def test_demo_keys_are_derived_from_a_random_seed_of_the_installation(tmp_path):
    first, second = tmp_path / "a" / "seed", tmp_path / "b" / "seed"
    key = demo_totp_key("auditor@demo.mynatrust.example.jp", first)
    assert len(bytes.fromhex(key)) == 20
    # The same installation gives the same key again; another installation another key.
    assert demo_totp_key("auditor@demo.mynatrust.example.jp", first) == key
    assert demo_totp_key("auditor@demo.mynatrust.example.jp", second) != key
    assert demo_totp_key("operator@demo.mynatrust.example.jp", first) != key
    assert stat.S_IMODE(first.stat().st_mode) == 0o600
    assert "d3" not in key[2:6]  # not the old fixed pattern
