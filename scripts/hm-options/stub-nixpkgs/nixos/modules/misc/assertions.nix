# Stand-in for nixpkgs' nixos/modules/misc/assertions.nix, which home-manager's module list
# imports from `pkgs.path`: only the two option declarations, so that the option tree is complete.
{ lib, ... }:
{
  options = {
    assertions = lib.mkOption {
      type = lib.types.listOf lib.types.unspecified;
      internal = true;
      default = [ ];
    };
    warnings = lib.mkOption {
      type = lib.types.listOf lib.types.str;
      internal = true;
      default = [ ];
    };
  };
}
