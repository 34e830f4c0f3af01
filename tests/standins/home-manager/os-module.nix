# home-manager's NixOS and nix-darwin modules, as the stand-in models them (see nixos/common.nix
# upstream): `home-manager.users.<name>` is a home-manager configuration per user, evaluated with
# `osConfig`; with useUserPackages the user's system packages receive its `home.path`.
# `home.homeDirectory` comes from `users.users.<name>.home`, which nix-darwin leaves null unless
# the configuration sets it: then the user's home does not evaluate, as with the real modules.
osClass:
{
  config,
  lib,
  pkgs,
  ...
}:
let
  inherit (lib) mkOption types;
  cfg = config.home-manager;
  hmLib = import ./lib.nix { inherit lib; };
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
      ${if osClass == "darwin" then "darwinConfig" else "nixosConfig"} = config;
      inherit osClass;
      modulesPath = toString ./modules;
    }
    // cfg.extraSpecialArgs;
    modules = [
      ./modules
      (
        { name, ... }:
        {
          imports = cfg.sharedModules;
          config = {
            submoduleSupport.enable = true;
            submoduleSupport.externalPackageInstall = cfg.useUserPackages;
            home.username = config.users.users.${name}.name;
            # A path, never null: as the real option's type check rejects a null `home`.
            home.homeDirectory =
              let
                home = config.users.users.${name}.home;
              in
              if home == null then
                throw "A definition for option `home-manager.users.${name}.home.homeDirectory' is not of type `path': users.users.${name}.home is null"
              else
                home;
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
