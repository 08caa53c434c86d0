int actorscope_dummy_main;
int main(void){return 0;}
