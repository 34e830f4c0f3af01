# The nix-darwin options the stand-in declares, with the defaults of the real modules. A user's
# `home` is null unless set (home-manager then cannot evaluate that user); `system.stateVersion`
# is an integer; user-level defaults (`system.defaults`, `homebrew`) need `system.primaryUser`.
# Everything else is free-form.
{
  config,
  lib,
  pkgs,
  ...
}:
let
  inherit (lib) mkOption types;
  opt =
    type: default:
    mkOption {
      inherit type default;
    };

  userModule =
    { name, ... }:
    {
      options = {
        name = opt types.str name;
        uid = opt (types.nullOr types.int) null;
        gid = opt types.int 20;
        home = opt (types.nullOr types.path) null;
        createHome = opt types.bool false;
        isHidden = opt types.bool true;
        description = opt (types.nullOr types.str) null;
        shell = opt (types.nullOr types.anything) null;
        packages = opt (types.listOf types.package) [ ];
      };
    };
  userDefaults = config.system.defaults != { } || config.homebrew.enable;
in
{
  _file = "<homeward stand-in: nix-darwin/base.nix>";
  key = "<homeward stand-in: nix-darwin/base.nix>";

  options = {
    users.users = opt (types.attrsOf (types.submodule userModule)) { };
    users.knownUsers = opt (types.listOf types.str) [ ];
    environment = {
      systemPackages = opt (types.listOf types.package) [ ];
      variables = opt (types.attrsOf types.anything) { };
      shellAliases = opt (types.attrsOf types.str) { };
    };
    programs.zsh.enable = opt types.bool true;
    programs.bash.enable = opt types.bool false;
    programs.fish.enable = lib.mkEnableOption "fish";
    homebrew.enable = lib.mkEnableOption "homebrew";
    system.defaults = opt (types.attrsOf types.anything) { };
    system.primaryUser = opt (types.nullOr types.str) null;
    system.stateVersion = opt types.int 6;
    networking.hostName = opt (types.nullOr types.str) null;
    networking.computerName = opt (types.nullOr types.str) null;
    nixpkgs.hostPlatform = opt (types.nullOr types.anything) null;
    nixpkgs.overlays = opt (types.listOf types.anything) [ ];
    nixpkgs.config = opt types.attrs { };
    assertions = opt (types.listOf types.anything) [ ];
    warnings = opt (types.listOf types.str) [ ];
    nix.enable = opt types.bool true;
  };

  config = {
    assertions = [
      {
        assertion = userDefaults -> config.system.primaryUser != null;
        message = "Previously, some nix-darwin options applied to the user running `darwin-rebuild`. Set `system.primaryUser` to the user these options apply to.";
      }
    ];
    system.build.toplevel = pkgs.writeTextFile {
      name = "darwin-system-${toString config.networking.hostName}";
    };
    nix.package = lib.mkDefault pkgs.nix;
  };
}
