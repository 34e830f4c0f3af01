# Stand-in for nixpkgs' nixos/modules/virtualisation/qemu-vm.nix: declares and sets nothing.
{ ... }:
{
}
