# `lib.nixosSystem` of the stand-in: evaluates the modules with the stand-in module system and
# a base module declaring the few NixOS options whose defaults configurations read.
{ lib }:
{
  system ? null,
  modules ? [ ],
  specialArgs ? { },
  pkgs ? null,
  extraModules ? [ ],
  ...
}:
let
  modulesPath = toString ./modules;

  ev = lib.evalModules {
    class = "nixos";
    modules = [ ./base.nix ] ++ modules ++ extraModules;
    specialArgs = {
      inherit modulesPath;
      pkgs = finalPkgs;
    }
    // specialArgs;
  };

  hostPlatform =
    let
      p = ev.config.nixpkgs.hostPlatform or ev.config.nixpkgs.system or "x86_64-linux";
    in
    if builtins.isString p then p else p.system;

  finalSystem = if system != null then system else hostPlatform;

  finalPkgs =
    if pkgs != null then
      pkgs
    else
      import ../pkgs {
        inherit lib;
        system = finalSystem;
        overlays = ev.config.nixpkgs.overlays;
        config = ev.config.nixpkgs.config;
      };
in
{
  inherit (ev) config options;
  _module = ev._module;
  pkgs = finalPkgs;
  _type = "configuration";
  type = "configuration";
  class = "nixos";
  extendModules =
    {
      modules ? [ ],
      specialArgs ? { },
    }@more:
    import ./eval-config.nix { inherit lib; } {
      inherit system pkgs extraModules;
      modules = modules ++ more.modules or [ ];
      specialArgs = specialArgs // more.specialArgs or { };
    };
  # What nixosSystem was given, for tests that record module lists.
  _standin = {
    inherit modules specialArgs;
    system = finalSystem;
  };
}
