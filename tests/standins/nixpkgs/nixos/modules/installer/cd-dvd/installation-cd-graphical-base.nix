# Stand-in for nixpkgs' nixos/modules/installer/cd-dvd/installation-cd-graphical-base.nix: declares and sets nothing.
{ ... }:
{
}
