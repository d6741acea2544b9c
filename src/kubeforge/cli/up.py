"""`kubeforge up` and `kubeforge destroy`: machines from the plan, through one provider.

Registered by the lead as commands: `app.command()(up.up)`, `app.command()(up.destroy)`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kubeforge import provision, readiness
from kubeforge.cli import console, fits
from kubeforge.cli.console import SpecOption, StateOption
from kubeforge.plan.build import build_plan
from kubeforge.plan.model import Plan
from kubeforge.provision import handoff, image_build, images
from kubeforge.provision.base import Action, Endpoint, Options, Provider
from kubeforge.render import bundle
from kubeforge.workspace import Workspace

ENDPOINTS_FILE = handoff.FILE
NEEDS_SEEDS = ("virtualbox", "libvirt")

ProviderOption = Annotated[
    str, typer.Option("--provider", help="virtualbox | libvirt | existing | lab")
]
DryRunOption = Annotated[
    bool, typer.Option("--dry-run", help="Print the exact actions; change nothing.")
]
ImageOption = Annotated[
    Path | None,
    typer.Option(
        "--image",
        help="Base image: a Debian cloud image (.raw or .qcow2). "
        "Default: ./debian-<version>-generic-amd64.qcow2",
    ),
]
UriOption = Annotated[str, typer.Option("--uri", help="libvirt connection URI.")]
PoolOption = Annotated[
    str | None, typer.Option("--pool", help="libvirt storage pool. Default: default")
]
InventoryOption = Annotated[
    Path | None,
    typer.Option(
        "--inventory",
        help="existing: YAML mapping host name -> address/port/user. "
        "Default: <state>/existing.yaml",
    ),
]
ProviderOptions = Annotated[
    list[str] | None,
    typer.Option(
        "--option",
        help="Provider option KEY=VALUE, repeatable. libvirt: uplink_cidr=CIDR, "
        "domain_type=kvm|qemu (qemu: TCG, no KVM), uplink_dns=off (libvirt's dnsmasq answers no "
        "DNS on the uplink), uplink_forward=open (no NAT, no firewall rules: a sealed host).",
    ),
]
TimeoutOption = Annotated[
    float,
    typer.Option("--timeout", min=1, help="Seconds to wait for the machines to take a login "
                 "(raise it for slow hosts: QEMU without KVM boots a machine in ~6 min)."),
]
WaitOption = Annotated[
    bool,
    typer.Option(
        "--wait/--no-wait", help="Wait for SSH on the machines' front door after starting them."
    ),
]


def up(
    provider: ProviderOption = "virtualbox",
    dry_run: DryRunOption = False,
    spec_path: SpecOption = None,
    state_dir: StateOption = None,
    image: ImageOption = None,
    uri: UriOption = "qemu:///system",
    pool: PoolOption = None,
    inventory: InventoryOption = None,
    wait: WaitOption = True,
    option: ProviderOptions = None,
    timeout: TimeoutOption = 300.0,
) -> None:
    """Create (or adopt, by name) the plan's networks and machines and start them."""
    workspace = console.checked_workspace(spec_path, state_dir)
    # A dry-run writes nothing, so it must not generate the operator's key pair.
    plan = build_plan(workspace.spec) if dry_run else workspace.plan()
    fits.warn(plan, provider, workspace.state_dir)
    options = _options(workspace, plan, dry_run, image, uri, inventory, pool, option)
    if provider in NEEDS_SEEDS and not dry_run:
        _render_seeds(workspace, plan, options.seeds_dir.parent)
    chosen = provision.make(provider, plan, options)
    chosen.progress = _waiting  # readiness: which machine `up` waits for, and why
    actions = chosen.plan_actions() if dry_run else chosen.up(timeout)
    _print_actions(chosen, actions, dry_run)
    if dry_run:
        return
    endpoints = chosen.wait_for_ssh(timeout) if wait else chosen.endpoints()
    _save_endpoints(workspace.state_dir, chosen, endpoints)


def _waiting(verdict: readiness.Verdict) -> None:
    console.err.print(f"waiting for {verdict.host}: {verdict.reason}", highlight=False,
                      markup=False)


def destroy(
    provider: ProviderOption = "virtualbox",
    dry_run: DryRunOption = False,
    spec_path: SpecOption = None,
    state_dir: StateOption = None,
    uri: UriOption = "qemu:///system",
    pool: PoolOption = None,
    inventory: InventoryOption = None,
    option: ProviderOptions = None,
) -> None:
    """Remove what `up` made for this cluster (by planned name), and nothing else."""
    workspace = console.checked_workspace(spec_path, state_dir)
    plan = build_plan(workspace.spec)  # names and MACs do not depend on the SSH key
    options = _options(workspace, plan, dry_run, None, uri, inventory, pool, option)
    chosen = provision.make(provider, plan, options)
    actions = chosen.destroy_actions() if dry_run else chosen.destroy()
    _print_actions(chosen, actions, dry_run)


def _options(
    workspace: Workspace,
    plan: Plan,
    dry_run: bool,
    image: Path | None,
    uri: str,
    inventory: Path | None,
    pool: str | None,
    option: list[str] | None = None,
) -> Options:
    state = workspace.state_dir.absolute()
    extra = _extra(option or [])
    return Options(
        state_dir=state,
        seeds_dir=state / "out" / "seeds",
        dry_run=dry_run,
        image=(image or images.default_path(plan.spec.debian_release)).absolute(),
        uri=uri,
        inventory=inventory,
        extra=extra | ({"pool": pool} if pool else {}),
    )


def _extra(pairs: list[str]) -> dict[str, str]:
    bad = [p for p in pairs if "=" not in p or not p.split("=", 1)[0]]
    if bad:
        console.error(f"--option {bad[0]!r}: write KEY=VALUE, e.g. --option domain_type=qemu")
        raise typer.Exit(console.EXIT_INVALID)
    return dict(p.split("=", 1) for p in pairs)


def _render_seeds(workspace: Workspace, plan: Plan, out: Path) -> None:
    """The machines boot from render's seeds: render first, so they match this plan."""
    bundle.write_tree(bundle.render_all(plan, workspace.secrets()), out)


def _print_actions(chosen: Provider, actions: list[Action], dry_run: bool) -> None:
    verb = "would run" if dry_run else "ran"
    for note in getattr(chosen, "notes", []):
        console.err.print(f"note: {note}", highlight=False, soft_wrap=True)
    for action in actions:
        console.out.print(action.describe(), highlight=False, soft_wrap=True, markup=False)
    if not actions:
        console.out.print(
            f"{chosen.name}: no changes would be performed"
            if dry_run
            else f"{chosen.name}: nothing to change",
            highlight=False,
        )
    else:
        console.out.print(f"{chosen.name}: {verb} {len(actions)} actions", highlight=False)


def _save_endpoints(state_dir: Path, chosen: Provider, endpoints: dict[str, Endpoint]) -> None:
    """The handover to every later command: how to reach each machine."""
    # An image from `kubeforge image build` holds no kubeadm/kubelet (Debian ships none).
    binaries = chosen.kubernetes_binaries and image_build.kubernetes_binaries(chosen.options.image)
    record = handoff.Handoff(chosen.name, endpoints, binaries)
    written = handoff.save(state_dir, record)
    console.out.print(f"endpoints written to {written}", highlight=False)
