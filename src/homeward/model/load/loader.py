"""A load composed of its phases: `load_repo` and `load_planned` (model/repo.py) run it."""

from __future__ import annotations

from homeward.errors import HomewardError
from homeward.model.load.freeze import Freezer
from homeward.model.load.outputs import Outputs
from homeward.model.repo import OTHER_KINDS, Context, Repo, SystemConfig
from homeward.model.values import Attrs


class Loader(Outputs, Freezer):
    """Reads a flake's model: its outputs and configurations (`Outputs`, built on the homes,
    the walk and the references), then what is frozen (`Freezer`)."""

    def load(self) -> Repo:
        top_expr = self.flake.root.child_by_field_name("expression")
        top = self.ev.eval(top_expr, self.ev.globals, self.flake) if top_expr is not None else None
        if not isinstance(top, Attrs):
            raise HomewardError(
                "flake.nix is not an attribute set with `inputs` and `outputs`",
                at=self.flake.location(top_expr.start_byte if top_expr is not None else 0),
            )
        inputs = self._inputs(top)
        outputs = self._outputs(top, inputs)
        hosts = self._configs(outputs, "nixosConfigurations", Context.NIXOS)
        homes = self._configs(outputs, "homeConfigurations", Context.HOME)
        others: dict[str, SystemConfig] = {}
        for attr, kind in OTHER_KINDS.items():
            for name, config in self._configs(outputs, attr, Context.NIXOS, kind).items():
                if self.darwin and name not in hosts:
                    hosts[name] = config  # a NixOS host of the same name keeps it frozen
                    continue
                config.name = f"{attr}.{name}"
                others[config.name] = config
                self._frozen_by[config.name] = (
                    f"`{config.name}` has the name of a NixOS host, which homeward cannot tell "
                    "apart from it"
                    if self.darwin
                    else f"`{config.name}` is a {kind} host, which homeward does not migrate yet"
                )
        self._assembled(inputs, hosts, homes, others)
        self._per_system(outputs, hosts, homes, others)
        self._unread(bool(hosts or homes or others))
        for host in hosts.values():
            self._follow_config(host)
        for home in homes.values():
            self._follow_config(home)
        for other in others.values():
            self._follow_config(other)
        self._follow_exports(outputs)
        self._follow_home_manager_users(hosts)
        self._follow_framework_homes()
        self._freeze_pairs()
        self._resolve_user_names()
        reaches = self._unknown_reaches(outputs, (hosts, homes))
        skipped = self._skipped(hosts, homes)
        self._freeze()
        self._freeze_shared_modules()
        self._freeze_unknown(reaches)
        self._opaque_not_text()
        self._freeze_opaque()
        self._share_hosts()
        self._file_refs.clear()  # Why: of use only while the graph is walked
        self.ev.files.release(self._read_now)
        return Repo(
            self.root,
            self.flake,
            inputs,
            outputs,
            hosts,
            homes,
            self.modules,
            self.edges,
            self.problems,
            self.ev,
            others,
            skipped,
            self.read,
        )
