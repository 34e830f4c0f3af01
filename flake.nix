{
  description = "homeward: move a flake-based NixOS configuration to home-manager, exactly, and keep it healthy";

  # The only input. flake.lock is not committed yet: see "Install" in README.md.
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";

  outputs =
    { self, nixpkgs }:
    let
      inherit (nixpkgs) lib;
      systems = [
        "x86_64-linux"
        "aarch64-linux"
        "x86_64-darwin"
        "aarch64-darwin"
      ];
      forAllSystems = f: lib.genAttrs systems (system: f nixpkgs.legacyPackages.${system});
      homewardFor = pkgs: pkgs.python3Packages.callPackage ./nix/package.nix { };
    in
    {
      overlays.default = final: _prev: { homeward = homewardFor final; };

      packages = forAllSystems (pkgs: rec {
        homeward = homewardFor pkgs;
        default = homeward;
      });

      apps = forAllSystems (pkgs: {
        default = {
          type = "app";
          program = lib.getExe self.packages.${pkgs.stdenv.hostPlatform.system}.default;
        };
      });

      # `nix flake check`: the test suite, run against the packaged homeward.
      checks = forAllSystems (pkgs: {
        tests = self.packages.${pkgs.stdenv.hostPlatform.system}.default.overridePythonAttrs (_: {
          doCheck = true;
        });
      });

      devShells = forAllSystems (pkgs: {
        default = pkgs.mkShell {
          inputsFrom = [ self.packages.${pkgs.stdenv.hostPlatform.system}.default ];
          packages = [
            pkgs.ruff
            pkgs.mypy
            pkgs.nix
            pkgs.graphviz
            pkgs.git
          ];
        };
      });

      # For users' flakes: `checks.<system>.homeward = homeward.lib.check { inherit pkgs; src = ./.; };`
      lib = import ./nix/lib.nix { inherit self; };
    };
}
