# `nix-darwin.lib.darwinSystem` of the stand-in: evaluates the modules with the stand-in module
# system and a base module declaring the nix-darwin options configurations read. The platform
# comes from `system` or `nixpkgs.hostPlatform` (current nix-darwin needs one of them).
{ nixpkgs }:
{
  system ? null,
  modules ? [ ],
  specialArgs ? { },
  pkgs ? null,
  inputs ? { },
  ...
}:
let
  inherit (nixpkgs) lib;

  ev = lib.evalModules {
    class = "darwin";
    modules = [ ./base.nix ] ++ modules;
    specialArgs = {
      pkgs = finalPkgs;
      inherit inputs;
    }
    // specialArgs;
  };

  hostPlatform =
    let
      p = ev.config.nixpkgs.hostPlatform;
    in
    if p == null then null else if builtins.isString p then p else p.system;

  finalSystem =
    if system != null then
      system
    else if hostPlatform != null then
      hostPlatform
    else
      throw "darwinSystem: set `nixpkgs.hostPlatform` (or pass `system`)";

  finalPkgs =
    if pkgs != null then
      pkgs
    else
      import nixpkgs {
        system = finalSystem;
        overlays = ev.config.nixpkgs.overlays;
        config = ev.config.nixpkgs.config;
      };

  failed = map (a: a.message) (builtins.filter (a: !a.assertion) ev.config.assertions);
in
{
  inherit (ev) config options;
  _module = ev._module;
  pkgs = finalPkgs;
  _type = "configuration";
  class = "darwin";
  system =
    if failed == [ ] then
      ev.config.system.build.toplevel
    else
      throw "Failed assertions:\n${lib.concatMapStringsSep "\n" (m: "- ${m}") failed}";
  # What darwinSystem was given, for tests that record module lists.
  _standin = {
    inherit modules specialArgs;
    system = finalSystem;
  };
}
