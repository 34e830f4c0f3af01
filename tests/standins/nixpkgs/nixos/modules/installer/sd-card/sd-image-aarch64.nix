# Stand-in for nixpkgs' nixos/modules/installer/sd-card/sd-image-aarch64.nix: declares and sets nothing.
{ ... }:
{
}
