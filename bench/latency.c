/* Memory latency probe: pointer chasing over N words. gcc -O2 bench/latency.c -o /tmp/lat && /tmp/lat 16000000 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
int main(int argc,char**argv){ size_t n=atol(argv[1]); size_t *a=malloc(n*sizeof(size_t));
 for(size_t i=0;i<n;i++)a[i]=i; for(size_t i=n-1;i>0;i--){size_t j=rand()%(i+1); size_t t=a[i];a[i]=a[j];a[j]=t;}
 /* build cycle */ size_t *next=malloc(n*sizeof(size_t)); for(size_t i=0;i<n;i++) next[a[i]]=a[(i+1)%n];
 struct timespec t0,t1; clock_gettime(CLOCK_MONOTONIC,&t0); size_t p=0; for(long k=0;k<10000000;k++) p=next[p];
 clock_gettime(CLOCK_MONOTONIC,&t1); printf("%zu MB: %.1f ns/load (%zu)\n", n*8>>20, ((t1.tv_sec-t0.tv_sec)*1e9+(t1.tv_nsec-t0.tv_nsec))/1e7, p); }
