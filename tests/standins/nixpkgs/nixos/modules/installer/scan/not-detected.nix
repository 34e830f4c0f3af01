# Stand-in for nixpkgs' nixos/modules/installer/scan/not-detected.nix: declares and sets nothing.
{ ... }:
{
}
