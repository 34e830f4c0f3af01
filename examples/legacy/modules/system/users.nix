# User accounts on every host.
{ pkgs, ... }:
{
  users.users.ham = {
    isNormalUser = true;
    description = "Ham";
    extraGroups = [
      "wheel"
      "networkmanager"
      "video"
    ];
    shell = pkgs.zsh;
    packages = with pkgs; [
      firefox
      # terminal tools
      ripgrep
      fd
      bat
      htop
    ];
  };

  programs.zsh.enable = true;
}
