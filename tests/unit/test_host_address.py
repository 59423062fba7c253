"""Each host's main address, from its gathered facts, goes into the reports."""

from __future__ import annotations

from typing import Any

import pytest

from carehard.engine.host_facts import fact_summary
from carehard.report.html import render_html
from tests.unit.test_report_html import sample_report


@pytest.mark.parametrize(
    ("facts", "address"),
    [
        (
            {"ansible_default_ipv4": {"address": "10.1.2.3"}, "ansible_all_ipv4_addresses": ["172.17.0.1"]},
            "10.1.2.3",
        ),
        (
            {"ansible_default_ipv4": {}, "ansible_all_ipv4_addresses": ["198.18.0.4", "10.0.0.1"]},
            "198.18.0.4",
        ),
        ({"ansible_ip_addresses": ["192.168.10.5", "fe80::1"]}, "192.168.10.5"),  # Windows
        ({}, None),
    ],
)
def test_the_main_address_of_a_host(facts: dict[str, Any], address: str | None) -> None:
    assert fact_summary(facts)["address"] == address


def test_the_html_hosts_table_shows_the_address() -> None:
    report = sample_report()
    report["hosts"][0]["facts"]["address"] = "10.20.30.40"
    assert '<td class="mono">10.20.30.40</td>' in render_html(report)
