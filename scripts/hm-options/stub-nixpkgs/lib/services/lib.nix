# Stand-in for nixpkgs' lib/services/lib.nix (portable services), which home-manager's
# `home.services` option is built from: a free-form submodule, enough for the option's name and
# outer type.
{ lib }:
{
  configure = _: {
    serviceSubmodule = lib.types.submodule { freeformType = lib.types.attrsOf lib.types.anything; };
  };
  getAssertions = _: _: [ ];
  getWarnings = _: _: [ ];
}
