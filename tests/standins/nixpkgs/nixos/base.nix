# The NixOS options the stand-in declares, with the defaults the real modules give them.
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
    { name, config, ... }:
    {
      options = {
        name = opt types.str name;
        isNormalUser = opt types.bool false;
        isSystemUser = opt types.bool false;
        home = opt types.path "/var/empty";
        packages = opt (types.listOf types.package) [ ];
        extraGroups = opt (types.listOf types.str) [ ];
        description = opt types.str "";
        createHome = opt types.bool false;
        group = opt types.str "";
        shell = opt (types.nullOr types.anything) null;
      };
      config = {
        home = lib.mkIf config.isNormalUser (lib.mkDefault "/home/${config.name}");
        createHome = lib.mkIf config.isNormalUser (lib.mkDefault true);
        group = lib.mkIf config.isNormalUser (lib.mkDefault "users");
      };
    };
in
{
  _file = "<homeward stand-in: nixos/base.nix>";
  key = "<homeward stand-in: nixos/base.nix>";

  options = {
    users.users = opt (types.attrsOf (types.submodule userModule)) { };
    environment = {
      systemPackages = opt (types.listOf types.package) [ ];
      variables = opt (types.attrsOf types.anything) { };
      sessionVariables = opt (types.attrsOf types.anything) { };
      shellAliases = opt (types.attrsOf types.str) { };
    };
    programs.git = {
      enable = lib.mkEnableOption "git";
      config = opt types.anything [ ];
    };
    programs.zsh.enable = lib.mkEnableOption "zsh";
    programs.fish.enable = lib.mkEnableOption "fish";
    programs.bash.enable = opt types.bool true;
    networking.hostName = opt types.str "nixos";
    hardware.enableRedistributableFirmware = opt types.bool false;
    hardware.enableAllFirmware = opt types.bool false;
    nixpkgs.overlays = opt (types.listOf types.anything) [ ];
    nixpkgs.config = opt types.attrs { };
    assertions = opt (types.listOf types.anything) [ ];
    warnings = opt (types.listOf types.str) [ ];
    fonts.fontconfig.enable = opt types.bool true;
    nix.enable = opt types.bool true;
  };

  config = {
    # As the real shells-environment and nano modules do.
    environment.shellAliases = lib.mapAttrs (_: lib.mkDefault) {
      ls = "ls --color=tty";
      ll = "ls -l";
      l = "ls -alh";
    };
    environment.variables.EDITOR = lib.mkOverride 900 "nano";
    system.build.toplevel = pkgs.writeTextFile { name = "nixos-system-${config.networking.hostName}"; };
    system.nixos.release = lib.release;
    nix.package = lib.mkDefault pkgs.nix;
  };
}
