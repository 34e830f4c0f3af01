{
  description = "homeward test stand-in for nixpkgs: lib, nixosSystem and fake packages, offline";

  outputs =
    { self }:
    let
      lib = import ./lib;
      systems = lib.systems.flakeExposed;
    in
    {
      inherit lib;
      legacyPackages = lib.genAttrs systems (system: import ./pkgs { inherit lib system; });
      nixosModules.notDetected = ./nixos/modules/installer/scan/not-detected.nix;
    };
}
