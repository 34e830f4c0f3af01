# `flake-parts.lib.mkFlake { inherit inputs; } module` of the stand-in: the top-level module
# (and its imports) with `systems`, `flake` (the outputs, free-form) and `perSystem` (evaluated
# once per system and transposed to `<output>.<system>`). The module system and lib are the
# `nixpkgs` input's (the stand-in's), as flake-parts takes lib from nixpkgs.
{
  inputs,
  specialArgs ? { },
  ...
}:
module:
let
  lib = inputs.nixpkgs.lib or (throw "the flake-parts stand-in takes lib from the `nixpkgs` input");
  inherit (lib) mkOption types;

  perSystemOutputs = [
    "packages"
    "legacyPackages"
    "devShells"
    "apps"
    "checks"
    "formatter"
  ];

  top = lib.evalModules {
    class = "flake";
    modules = [
      {
        options = {
          systems = mkOption {
            type = types.listOf types.str;
            default = [ ];
          };
          flake = mkOption {
            type = types.lazyAttrsOf types.anything;
            default = { };
          };
          perSystem = mkOption {
            type = types.deferredModule;
            default = { };
          };
        };
      }
      module
    ];
    specialArgs = {
      inherit inputs withSystem;
      self = inputs.self or (throw "the flake-parts stand-in needs `inputs.self`");
      flake-parts-lib = { };
    }
    // specialArgs;
  };

  # `inputs'` and `self'`: each input seen from one system.
  forSystem =
    system: flake:
    lib.mapAttrs (_: v: if builtins.isAttrs v && v ? ${system} then v.${system} else v) flake;

  perSystem =
    system:
    (lib.evalModules {
      class = "perSystem";
      modules = [
        {
          options = lib.genAttrs perSystemOutputs (
            _:
            mkOption {
              type = types.lazyAttrsOf types.raw;
              default = { };
            }
          );
        }
        top.config.perSystem
      ];
      specialArgs = perSystemArgs system;
    }).config;

  perSystemArgs = system: {
    inherit system;
    pkgs = inputs.nixpkgs.legacyPackages.${system};
    inputs' = lib.mapAttrs (_: forSystem system) inputs;
    self' = forSystem system (inputs.self or { });
  };

  # `withSystem "x86_64-linux" ({ config, pkgs, ... }: ...)`: the perSystem arguments and config.
  withSystem = system: f: f (perSystemArgs system // { config = perSystem system; });

  transposed = lib.genAttrs perSystemOutputs (
    output: lib.genAttrs top.config.systems (system: (perSystem system).${output})
  );
in
transposed // top.config.flake
