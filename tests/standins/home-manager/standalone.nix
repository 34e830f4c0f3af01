# `home-manager.lib.homeManagerConfiguration` of the stand-in.
{
  pkgs,
  modules ? [ ],
  extraSpecialArgs ? { },
  lib ? pkgs.lib,
  ...
}@args:
if args ? configuration || args ? username || args ? homeDirectory then
  throw "homeManagerConfiguration: `configuration`, `username` and `homeDirectory` are gone; pass `modules`"
else
  let
    hmLib = import ./lib.nix { inherit lib; };
    ev = lib.evalModules {
      class = "homeManager";
      modules = [ ./modules ] ++ modules;
      specialArgs = {
        lib = hmLib;
        inherit pkgs;
        modulesPath = toString ./modules;
      }
      // extraSpecialArgs;
    };
  in
  {
    inherit (ev) config options;
    inherit pkgs;
    _type = "configuration";
    activationPackage = ev.config.home.activationPackage;
    # What homeManagerConfiguration was given, for tests that record module lists.
    _standin = {
      inherit modules extraSpecialArgs;
    };
  }
