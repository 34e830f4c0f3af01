# home-manager's NixOS module, as the stand-in models it (see nixos/common.nix upstream):
# `home-manager.users.<name>` is a home-manager configuration per user, evaluated with
# `osConfig`; with useUserPackages the user's NixOS packages receive its `home.path`.
{
  config,
  lib,
  pkgs,
  ...
}:
let
  inherit (lib) mkOption types;
  cfg = config.home-manager;
  hmLib = import ../lib.nix { inherit lib; };
  opt =
    type: default:
    mkOption {
      inherit type default;
    };

  hmModule = types.submoduleWith {
    specialArgs = {
      lib = hmLib;
      inherit pkgs;
      osConfig = config;
      nixosConfig = config;
      osClass = "nixos";
      modulesPath = toString ../modules;
    }
    // cfg.extraSpecialArgs;
    modules = [
      ../modules
      (
        { name, ... }:
        {
          imports = cfg.sharedModules;
          config = {
            submoduleSupport.enable = true;
            submoduleSupport.externalPackageInstall = cfg.useUserPackages;
            home.username = config.users.users.${name}.name;
            home.homeDirectory = config.users.users.${name}.home;
          };
        }
      )
    ];
  };
in
{
  options.home-manager = {
    users = opt (types.attrsOf hmModule) { };
    useUserPackages = lib.mkEnableOption "installing user packages through users.users.<name>.packages";
    useGlobalPkgs = lib.mkEnableOption "the system's pkgs in home-manager";
    backupFileExtension = opt (types.nullOr types.str) null;
    overwriteBackup = lib.mkEnableOption "overwriting backups";
    extraSpecialArgs = opt types.attrs { };
    sharedModules = opt (types.listOf types.raw) [ ];
    verbose = lib.mkEnableOption "verbose activation";
    enableLegacyProfileManagement = opt types.bool false;
  };

  config = lib.mkIf (cfg.useUserPackages && cfg.users != { }) {
    users.users = lib.mapAttrs (_: user: { packages = [ user.home.path ]; }) cfg.users;
  };
}
