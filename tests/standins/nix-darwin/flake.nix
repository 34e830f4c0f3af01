{
  description = "homeward test stand-in for nix-darwin: darwinSystem, offline";

  # As the real flake: users make it follow theirs (`nix-darwin.inputs.nixpkgs.follows`), and
  # tests point that at the stand-in nixpkgs.
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixpkgs-unstable";

  outputs =
    { self, nixpkgs }:
    {
      lib.darwinSystem = import ./eval-config.nix { inherit nixpkgs; };
      darwinModules = { };
    };
}
