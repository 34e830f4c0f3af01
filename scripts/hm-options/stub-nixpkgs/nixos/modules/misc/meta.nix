# Stand-in for nixpkgs' nixos/modules/misc/meta.nix (imported by home-manager's module list):
# the `meta` options home-manager modules define, typed loosely.
{ lib, ... }:
{
  options.meta = {
    maintainers = lib.mkOption {
      type = lib.types.listOf lib.types.raw;
      internal = true;
      default = [ ];
    };
    doc = lib.mkOption {
      type = lib.types.path;
      internal = true;
    };
    buildDocsInSandbox = lib.mkOption {
      type = lib.types.bool;
      internal = true;
      default = true;
    };
    teams = lib.mkOption {
      type = lib.types.listOf lib.types.raw;
      internal = true;
      default = [ ];
    };
  };
}
