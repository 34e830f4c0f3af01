# Stand-in for nixpkgs' nixos/modules/profiles/qemu-guest.nix: declares and sets nothing.
{ ... }:
{
}
