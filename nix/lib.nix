# `homeward.lib`: run homeward from a user's own flake.
#
#   checks.x86_64-linux.homeward = homeward.lib.check {
#     pkgs = nixpkgs.legacyPackages.x86_64-linux;
#     src = ./.;
#   };
#
# `nix flake check` then fails when `homeward check` finds an error in the configuration.
{ self }:
{
  check =
    {
      pkgs,
      src,
      # extra arguments for `homeward check`, e.g. [ "--ignore" "HW005" ]
      args ? [ ],
      homeward ? self.packages.${pkgs.stdenv.hostPlatform.system}.default,
    }:
    pkgs.runCommand "homeward-check"
      {
        nativeBuildInputs = [ homeward ];
      }
      ''
        cd ${src}
        homeward check . ${pkgs.lib.escapeShellArgs args}
        touch $out
      '';
}
