# The home-manager options the stand-in declares, with the defaults and the effects of the
# real modules that homeward cares about:
# - home.packages, home.sessionVariables, home.shellAliases, programs.<shell>.shellAliases
# - programs.git.settings; the legacy userName/userEmail/aliases/extraConfig feed it, as the
#   renames of current home-manager do
# - `programs.<p>.enable` puts `programs.<p>.package` into home.packages (git, neovim, tmux...),
#   as those modules do; `programs.home-manager.enable` adds the CLI outside the NixOS module
# - home.path: one package named `home-manager-path`, as buildEnv names it
# - xdg.configFile."<name>" feeds home.file.".config/<name>"; systemd.user.tmpfiles.rules
# Everything else is free-form.
{
  config,
  lib,
  pkgs,
  ...
}:
let
  inherit (lib) mkOption mkIf types;
  opt =
    type: default:
    mkOption {
      inherit type default;
    };
  required = type: mkOption { inherit type; };

  installs = [
    "git"
    "neovim"
    "vim"
    "helix"
    "tmux"
    "htop"
    "btop"
    "bat"
    "eza"
    "direnv"
    "starship"
    "zoxide"
    "fzf"
    "jq"
    "lazygit"
    "gh"
    "zsh"
    "fish"
    "firefox"
    "kitty"
    "alacritty"
  ];
  program = name: {
    enable = lib.mkEnableOption name;
    package = opt types.package pkgs.${name};
  };
  shell = name: {
    shellAliases = opt (types.attrsOf types.str) { };
  };
  git = config.programs.git;
in
{
  _file = "<homeward stand-in: home-manager/modules>";
  key = "<homeward stand-in: home-manager/modules>";

  options = {
    home = {
      username = required types.str;
      homeDirectory = required types.path;
      stateVersion = required types.str;
      packages = opt (types.listOf types.package) [ ];
      sessionVariables = opt (types.attrsOf types.anything) { };
      sessionPath = opt (types.listOf types.str) [ ];
      shellAliases = opt (types.attrsOf types.str) { };
      file = opt (types.attrsOf types.anything) { };
      activation = opt (types.attrsOf types.anything) { };
      path = required types.package;
      activationPackage = required types.package;
    };
    programs =
      lib.genAttrs installs program
      // {
        home-manager.enable = lib.mkEnableOption "home-manager";
        git = program "git" // {
          settings = opt (types.attrsOf types.anything) { };
          userName = opt (types.nullOr types.str) null;
          userEmail = opt (types.nullOr types.str) null;
          aliases = opt (types.attrsOf types.str) { };
          extraConfig = opt types.anything { };
        };
        bash = shell "bash" // {
          enable = lib.mkEnableOption "bash";
        };
        zsh = program "zsh" // shell "zsh";
        fish = program "fish" // shell "fish";
      };
    # config.lib.file.mkOutOfStoreSymlink: the stand-in's link is the path itself.
    lib = opt (types.attrsOf types.anything) { };
    # xdg.configFile."<name>" is home.file.".config/<name>" (xdg.configHome's default).
    xdg.configFile = opt (types.attrsOf types.anything) { };
    systemd.user.tmpfiles.rules = opt (types.listOf types.str) [ ];
    submoduleSupport = {
      enable = opt types.bool false;
      externalPackageInstall = opt types.bool false;
    };
    assertions = opt (types.listOf types.anything) [ ];
    warnings = opt (types.listOf types.str) [ ];
  };

  config = {
    home.packages = lib.mkMerge (
      map (name: mkIf config.programs.${name}.enable [ config.programs.${name}.package ]) installs
      ++ [
        (mkIf (config.programs.home-manager.enable && !config.submoduleSupport.enable) [
          pkgs.home-manager
        ])
      ]
    );
    programs.git.settings = lib.mkMerge [
      (mkIf (git.userName != null) { user.name = git.userName; })
      (mkIf (git.userEmail != null) { user.email = git.userEmail; })
      (if git.aliases != { } then { alias = git.aliases; } else { })
      (if builtins.isAttrs git.extraConfig then git.extraConfig else { })
    ];
    lib.file.mkOutOfStoreSymlink = path: toString path;
    home.file = lib.mapAttrs' (
      name: file: lib.nameValuePair ".config/${name}" (file // { target = ".config/${name}"; })
    ) config.xdg.configFile;
    home.path = pkgs.buildEnv {
      name = "home-manager-path";
      paths = config.home.packages;
    };
    home.activationPackage = pkgs.writeTextFile { name = "home-manager-generation"; };
  };
}
