# ham's own things, still written as a NixOS module.
{ pkgs, ... }:
{
  programs.git = {
    enable = true;
    config = {
      user.name = "Ham Hamilton";
      user.email = "ham@example.org";
      init.defaultBranch = "main";
      pull.rebase = true;
    };
  };

  environment.variables.EDITOR = "nvim";

  users.users.ham.packages = with pkgs; [
    neovim
    tmux
    jq
    # for work
    slack
  ];
}
