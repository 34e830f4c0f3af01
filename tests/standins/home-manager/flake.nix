{
  description = "homeward test stand-in for home-manager: the NixOS and nix-darwin modules and homeManagerConfiguration, offline";

  outputs =
    { self, ... }:
    let
      systems = [
        "x86_64-linux"
        "aarch64-linux"
        "x86_64-darwin"
        "aarch64-darwin"
      ];
      cli = system: {
        type = "derivation";
        name = "home-manager-0.0.0";
        pname = "home-manager";
        version = "0.0.0";
        inherit system;
        outPath = "/nix/store/00000000000000000000000000000000-home-manager-0.0.0";
      };
    in
    {
      lib.homeManagerConfiguration = import ./standalone.nix;
      nixosModules.home-manager = {
        _file = "home-manager/nixos";
        key = "home-manager#nixos-module";
        imports = [ ./nixos ];
      };
      nixosModules.default = self.nixosModules.home-manager;
      darwinModules.home-manager = {
        _file = "home-manager/nix-darwin";
        key = "home-manager#darwin-module";
        imports = [ ./darwin ];
      };
      darwinModules.default = self.darwinModules.home-manager;
      packages = builtins.listToAttrs (
        map (system: {
          name = system;
          value = {
            default = cli system;
            home-manager = cli system;
          };
        }) systems
      );
    };
}
