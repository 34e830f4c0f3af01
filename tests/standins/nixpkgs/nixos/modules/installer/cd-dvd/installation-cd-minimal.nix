# Stand-in for nixpkgs' nixos/modules/installer/cd-dvd/installation-cd-minimal.nix: declares and sets nothing.
{ ... }:
{
}
