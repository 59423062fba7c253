from carehard.cli import main

main()
