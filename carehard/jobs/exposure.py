"""`carehard exposure scan`: probe from the vantage host, judge every target (EX-NET-01), as a run of
mode "exposure" with each target's `facts["exposure"]`, reported like any run."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from carehard import clock
from carehard.engine.lock import EXPOSURE
from carehard.engine.run import PlaybookRun
from carehard.errors import RunBroken
from carehard.exposure import CONTROL, MEASURES_ROLE, MODE, PLAYBOOK, Probed, ScanPlan
from carehard.exposure.probe import evaluate, probed_of
from carehard.jobs.pipeline import Execution, Job, Policy, RunContext
from carehard.model import ControlResult, HostOutcome, RunRecord
from carehard.paths import inventory_identity

# The play changes nothing (nmap and port_probe only connect): a lock of its own, not the hosts'.
SCANS = Policy(lock=EXPOSURE, waivers=False)


@dataclass
class ScanJob(Job):
    plan: ScanPlan
    command: str = "exposure scan"
    mode: str = MODE
    policy: Policy = SCANS

    def __post_init__(self) -> None:
        self.inventory = self.plan.options.inventory
        self.inventory_hosts = self.plan.listed or None  # the alerts' settings: not listed again
        self.problem: str | None = None  # the vantage host or its probe broke: every target unmeasured

    def execute(self, ctx: RunContext) -> Execution:
        plan, options = self.plan, self.plan.options
        scanned_at = clock.now_z()
        addresses = list(dict.fromkeys(t.address for t in plan.targets))
        request = PlaybookRun(
            inventory=options.inventory.resolve(),
            check_mode=False,
            tags=(),
            limit=plan.vantage.name,
            extravars={
                "carehard_mode": MODE,
                "carehard_exposure_vantage": plan.vantage.name,
                "carehard_exposure_targets": addresses,
                "carehard_exposure_ports": list(options.ports),
                "carehard_exposure_timeout": options.timeout,
                "carehard_exposure_rate": options.rate,
                "carehard_exposure_bound": plan.bound,
                "carehard_exposure_method": options.method,
            },
            playbook=PLAYBOOK,
        )
        seen, outcome = ctx.run(request)
        vantage = seen.get(plan.vantage.name)
        if vantage is None:
            raise RunBroken(f"the exposure playbook ran on no host: see {outcome.artifacts / 'stdout'}")
        measures = vantage.measures.get(MEASURES_ROLE)
        if not vantage.reachable:
            self.problem = f"vantage host {plan.vantage.name} unreachable: " + "; ".join(vantage.errors)
        elif vantage.errors or not isinstance(measures, Mapping):
            self.problem = f"the probe on {plan.vantage.name} broke: " + (
                "; ".join(vantage.errors) or f"no result (see {outcome.artifacts / 'stdout'})"
            )
        method = str(measures.get("method")) if isinstance(measures, Mapping) else "none"
        probed = probed_of(measures, plan.targets, options.ports) if self.problem is None and measures else {}
        hosts: dict[str, HostOutcome] = {}
        for target in plan.targets:
            host = HostOutcome(target.name)
            if self.problem is not None:
                status = "unreachable" if not vantage.reachable else "error"
                host.results[CONTROL] = ControlResult(CONTROL, status, f"not measured: {self.problem}")
                host.facts[MODE] = {
                    "from": plan.vantage.name,
                    "method": method,
                    "scanned_at": scanned_at,
                    "address": target.address,
                    "complete": False,
                    "ports": [],
                }
            else:
                found = probed.get(target.name) or Probed(None, complete=False, problem="no result for it")
                result, facts = evaluate(
                    target, found, plan.vantage.name, options.ports, method, scanned_at, plan.bound
                )
                host.results[CONTROL] = result
                host.facts[MODE] = facts
            hosts[target.name] = host
        selection = {
            "inventory": inventory_identity(options.inventory),
            "limit": options.limit,
            "only": [CONTROL],
            "skip": [],
            "from": plan.vantage.name,
            "ports": list(options.ports),
            "timeout": options.timeout,
            "rate": options.rate,
            "method": method,
            "skipped": [name for name, _ in plan.skipped],
        }
        return Execution(hosts, outcome.artifacts, [CONTROL], selection)


def verdict_lines(run: RunRecord) -> Iterable[str]:
    """One line per target for the terminal: its verdict and what answered."""
    for host in run.hosts.values():
        result = host.results.get(CONTROL)
        if result is not None:
            yield f"{host.name}: {result.status}: {result.evidence}"
